import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { APP_CONFIG } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { KeysModule } from '../keys/keys.module';
import { ACCESS_TOKEN_ALGORITHM, SIGNING_KEYS, type SigningKeys } from '../keys/signing-keys';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { JwtAuthGuard, RolesGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { JwtStrategy } from './jwt.strategy';
import { PasswordResetService } from './password-reset.service';
import { SessionUserQuery } from './session-user.query';

@Module({
  imports: [
    UsersModule,
    TokensModule,
    MailModule,
    KeysModule,
    RateLimitModule,
    PassportModule,
    JwtModule.registerAsync({
      imports: [KeysModule],
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
  ],
  controllers: [AuthController],
  providers: [
    AuthService,
    PasswordResetService,
    JwtStrategy,
    SessionUserQuery,
    // Order matters: authenticate first, then check roles.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
