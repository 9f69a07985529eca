import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import Redis from 'ioredis';
import { HealthController } from './health/health.controller';

export const redis = new Redis(process.env.REDIS_URL);

@Module({
  imports: [MongooseModule.forRoot(process.env.MONGODB_URI)],
  controllers: [HealthController],
})
export class AppModule {}
