import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Redis } from 'ioredis';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailModule } from '../mail/mail.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';
import { AuthController } from './auth.controller';
import { JwtAuthGuard, RolesGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { JwksController } from './jwks.controller';
import { JwtStrategy } from './jwt.strategy';
import { LoginFailures, MemoryWindowCounter, WINDOW_COUNTER } from './login-failures';
import { PasswordResetService } from './password-reset.service';
import { AuthRateLimitGuard } from './rate-limit.guard';
import { RedisModule, REDIS } from './redis.module';
import { RedisWindowCounter } from './redis-window-counter';
import { ACCESS_TOKEN_ALGORITHM, SIGNING_KEYS, SigningKeysModule, type SigningKeys } from './signing-keys';

@Module({
  imports: [
    UsersModule,
    TokensModule,
    MailModule,
    PassportModule,
    RedisModule,
    SigningKeysModule,
    JwtModule.registerAsync({
      imports: [SigningKeysModule],
      inject: [SIGNING_KEYS, APP_CONFIG],
      useFactory: (keys: SigningKeys, config: AppConfig) => ({
        privateKey: keys.privateKeyPem,
        publicKey: keys.publicKeyPem,
        signOptions: {
          algorithm: ACCESS_TOKEN_ALGORITHM,
          keyid: keys.kid,
          expiresIn: config.auth.accessTtl,
          issuer: config.auth.issuer,
          audience: config.auth.audience,
        },
        verifyOptions: { algorithms: [ACCESS_TOKEN_ALGORITHM], issuer: config.auth.issuer, audience: config.auth.audience },
      }),
    }),
    ThrottlerModule.forRootAsync({
      imports: [RedisModule],
      inject: [APP_CONFIG, REDIS],
      useFactory: (config: AppConfig, redis: Redis | null) => ({
        // Named "default" so the headers are the plain X-RateLimit-* and Retry-After (no "-auth" suffix).
        throttlers: [{ name: 'default', ttl: 60_000, limit: Math.max(1, config.rateLimit.perMinute) }],
        skipIf: () => config.rateLimit.perMinute === 0,
        // Several instances behind one balancer share their counters through REDIS_URL.
        storage: redis ? new ThrottlerStorageRedisService(redis) : undefined,
      }),
    }),
  ],
  controllers: [AuthController, AccountController, JwksController],
  providers: [
    AuthService,
    PasswordResetService,
    AccountService,
    JwtStrategy,
    LoginFailures,
    AuthRateLimitGuard,
    {
      provide: WINDOW_COUNTER,
      inject: [REDIS],
      useFactory: (redis: Redis | null) => (redis ? new RedisWindowCounter(redis) : new MemoryWindowCounter()),
    },
    // Order matters: authenticate first, then check roles.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
  exports: [PasswordResetService],
})
export class AuthModule {}
