import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { EventsModule } from '../events/events.module';
import { KeysModule } from '../keys/keys.module';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AuthController } from './auth.controller';
import { JwtAuthGuard, RolesGuard } from './auth.guards';
import { AuthService } from './auth.service';
import { IntrospectionController } from './introspection.controller';
import { JwtStrategy } from './jwt.strategy';
import { PasswordResetService } from './password-reset.service';
import { SessionUserQuery } from './session-user.query';
import { VerifiedTokens } from './verified-tokens';

@Module({
  imports: [UsersModule, TokensModule, MailModule, KeysModule, RateLimitModule, PassportModule, EventsModule],
  controllers: [AuthController, IntrospectionController],
  providers: [
    AuthService,
    PasswordResetService,
    JwtStrategy,
    SessionUserQuery,
    VerifiedTokens,
    // Order matters: authenticate first, then check roles.
    { provide: APP_GUARD, useClass: JwtAuthGuard },
    { provide: APP_GUARD, useClass: RolesGuard },
  ],
})
export class AuthModule {}
