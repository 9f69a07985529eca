import { Controller, Get, HttpException, HttpStatus, Inject } from '@nestjs/common';
import { InjectConnection } from '@nestjs/mongoose';
import type { Connection } from 'mongoose';
import type Redis from 'ioredis';
import { REDIS } from '../database/redis.provider';

@Controller('health')
export class HealthController {
  constructor(
    @InjectConnection() private readonly mongo: Connection,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  // Liveness checks the process only: a failing dependency must never restart healthy pods.
  @Get('liveness')
  liveness() {
    return { status: 'ok', uptime: process.uptime() };
  }

  // Readiness checks dependencies: a pod that cannot reach MongoDB leaves the Service.
  @Get('readiness')
  async readiness() {
    const mongoOk = this.mongo.readyState === 1;
    const redisOk = this.redis.status === 'ready';
    const heap = process.memoryUsage();
    const memoryOk = heap.heapUsed / heap.heapTotal < 0.95;
    if (!mongoOk || !memoryOk) {
      throw new HttpException({ status: 'error', mongoOk, redisOk, memoryOk }, HttpStatus.SERVICE_UNAVAILABLE);
    }
    return { status: 'ok', checks: { mongodb: mongoOk, redis: redisOk, memory: memoryOk } };
  }
}
