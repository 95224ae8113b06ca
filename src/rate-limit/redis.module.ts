import { Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';

/** The shared Redis client for rate-limit counters, or null when REDIS_URL is unset (in memory). */
export const REDIS = Symbol('REDIS');

/** ioredis is loaded only when REDIS_URL is set: a single instance starts without it (issue 12). */
export async function createRedis(config: AppConfig): Promise<Redis | null> {
  if (!config.rateLimit.redisUrl) return null;
  const { Redis } = await import('ioredis');
  const logger = new Logger('Redis');
  const redis = new Redis(config.rateLimit.redisUrl, {
    keyPrefix: config.rateLimit.redisKeyPrefix,
    // A rate-limited request fails fast while Redis is away instead of queueing for seconds.
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // ioredis reports every reconnect attempt; one line per distinct problem is enough.
    if (error.message !== lastError) logger.error(`redis: ${error.message}`);
    lastError = error.message;
  });
  redis.on('ready', () => (lastError = ''));
  return redis;
}

@Module({
  providers: [{ provide: REDIS, inject: [APP_CONFIG], useFactory: createRedis }],
  exports: [REDIS],
})
export class RedisModule implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis | null) {}

  /** After the HTTP server has stopped (not on module destroy), so in-flight requests still count. */
  async onApplicationShutdown(): Promise<void> {
    if (!this.redis || this.redis.status === 'end') return;
    if (this.redis.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis.disconnect();
  }
}
