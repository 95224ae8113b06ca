import { Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MemoryThrottlerStorage } from './memory-throttler-storage';
import { LoginFailures, MemoryWindowCounter, WINDOW_COUNTER } from './login-failures';
import { AuthRateLimitGuard } from './rate-limit.guard';
import { RedisModule, REDIS } from './redis.module';
import { RedisWindowCounter } from './redis-window-counter';
import { clientTracker, memoryThrottleKey } from './tracker';

/**
 * Per-address limits on the public auth routes (the throttler) and per-account failed-login
 * counts, in memory for one instance or in Redis (REDIS_URL) shared by several.
 */
@Module({
  imports: [
    RedisModule,
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [APP_CONFIG, REDIS],
      useFactory: async (config: AppConfig, redis: Redis | null) => ({
        // Named "default" so the headers are the plain X-RateLimit-* and Retry-After (no "-auth" suffix).
        throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimit.perMinute) }],
        skipIf: () => config.rateLimit.perMinute === 0,
        getTracker: (request: { ip?: string }) => clientTracker(request.ip) as string,
        // The library's hashed key for Redis (shared with instances of another version); a plain one in memory.
        ...(redis ? {} : { generateKey: memoryThrottleKey }),
        // Several instances behind one balancer share their counters through REDIS_URL (the Redis
        // storage, like ioredis, is loaded only then).
        storage: redis
          ? new (await import('@nest-lab/throttler-storage-redis')).ThrottlerStorageRedisService(redis)
          : new MemoryThrottlerStorage(),
      }),
    }),
  ],
  providers: [
    LoginFailures,
    AuthRateLimitGuard,
    {
      provide: WINDOW_COUNTER,
      inject: [REDIS],
      useFactory: (redis: Redis | null) => (redis ? new RedisWindowCounter(redis) : new MemoryWindowCounter()),
    },
  ],
  exports: [LoginFailures, AuthRateLimitGuard, ThrottlerModule],
})
export class RateLimitModule {}
