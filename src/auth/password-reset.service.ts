import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { ClientInfo, Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { EventsService } from '../events/events.service';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { LoginFailures } from '../rate-limit/login-failures';
import { peekLinkToken } from './link-check';
import { passwordResetLink } from './links';

/** The outbox request kind of POST /users/password/forgot. */
const PASSWORD_RESET_REQUEST = 'password_reset_request';

/** Forgot / reset by emailed link. */
@Injectable()
export class PasswordResetService implements OnModuleInit {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly mail: MailService,
    private readonly hasher: PasswordHasher,
    private readonly loginFailures: LoginFailures,
    private readonly events: EventsService,
  ) {}

  onModuleInit(): void {
    this.mail.registerRequestHandler(PASSWORD_RESET_REQUEST, (request, manager) => this.resetLinkFor(request.address, manager));
  }

  /**
   * Same answer, in the same time, for every address: the request only queues the work (503
   * while the database is away); the outbox worker does the lookup in `resetLinkFor`.
   */
  async requestReset(email: string, lang: Lang): Promise<void> {
    await this.mail.request(PASSWORD_RESET_REQUEST, email, lang);
  }

  /** In the worker: an existing user gets a single-use link, in their own language; older ones stop working. */
  private async resetLinkFor(email: string, db: EntityManager): Promise<void> {
    const user = await this.users.findByEmail(email, db);
    if (!user) return;
    // Capped this hour: send nothing, and leave the link already sent working.
    if (!(await this.mail.allows(user.email, 'password_reset', db))) return;
    const ttl = this.config.auth.passwordResetTtl;
    const token = await this.tokens.issueOneTimeToken(user.id, 'password_reset', ttl, { replace: true }, db);
    await this.mail.send(
      user.email,
      'password_reset',
      user.lang,
      { name: user.name, link: passwordResetLink(this.config, token), ttl: describeDuration(ttl, user.lang) },
      db,
    );
  }

  /**
   * New password, token spent and every session ended, in one transaction. The link proves the
   * person reads that mailbox, so an account not yet activated becomes active, and the account's
   * failed-login lock is lifted: the owner can log in straight away.
   */
  async reset(token: string, password: string, client: ClientInfo): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    const email = await this.dataSource.transaction(async (db) => {
      const { userId } = (await this.tokens.consume(token, 'password_reset', db)).token;
      await this.users.setPasswordHash(userId, passwordHash, db);
      await this.users.activate(userId, db);
      const ended = await this.tokens.credentialsChanged(userId, 'password_reset', undefined, db);
      await this.events.record('user.password_changed', userId, { user_id: userId, via: 'reset' }, client, db);
      if (ended.length) {
        await this.events.record('session.revoked', userId, { user_id: userId, session_ids: ended, reason: 'password_reset' }, client, db);
      }
      return (await this.users.getById(userId, db)).email;
    });
    await this.loginFailures.clear(email);
  }

  /** Throws the reset's 400 for an unknown or expired link, without using it up (the form's page). */
  async checkLink(token: string): Promise<void> {
    await peekLinkToken(this.dataSource, this.tokens, token, 'password_reset');
  }
}
