import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { MailModule } from '../mail/mail.module';
import { TokensModule } from '../tokens/tokens.module';
import { UsersModule } from '../users/users.module';
import { AccountController } from './account.controller';
import { AccountService } from './account.service';

/**
 * The /api/users resource. Not in UsersModule: updating an account touches sessions, link
 * tokens and mail, which `users` may not import.
 */
@Module({
  imports: [UsersModule, TokensModule, MailModule, EventsModule],
  controllers: [AccountController],
  providers: [AccountService],
})
export class AccountModule {}
