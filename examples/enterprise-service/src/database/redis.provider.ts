import Redis from 'ioredis';

export const REDIS = 'REDIS';

export const RedisProvider = {
  provide: REDIS,
  useFactory: (): Redis =>
    new Redis({
      host: process.env.REDIS_HOST,
      maxRetriesPerRequest: 3,
      retryStrategy: (times: number) => Math.min(times * 100, 3000),
      lazyConnect: false,
      enableReadyCheck: true,
    }),
};
