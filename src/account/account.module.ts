import { Module } from '@nestjs/common';
import { MailModule } from '../mail/mail.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

/**
 * The /api/users resource. Not in UsersModule: updating an account touches sessions, link
 * tokens and mail, which `users` may not import.
 */
@Module({
  // RateLimitModule: wrong current passwords count on the failed-login counter (LoginFailures).
  imports: [UsersModule, TokensModule, MailModule, RateLimitModule],
  controllers: [AccountController],
  providers: [AccountService],
})
export class AccountModule {}
