import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { escapeHtml, type Lang, renderPage, translate } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { LoginFailures } from '../rate-limit/login-failures';
import { passwordResetAction, passwordResetLink } from './links';

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
  async reset(token: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    const email = await this.dataSource.transaction(async (db) => {
      const { userId } = (await this.tokens.consume(token, 'password_reset', db)).token;
      await this.users.setPasswordHash(userId, passwordHash, db);
      await this.users.activate(userId, db);
      await this.tokens.credentialsChanged(userId, 'password_reset', undefined, db);
      return (await this.users.getById(userId, db)).email;
    });
    await this.loginFailures.clear(email);
  }

  renderForm(token: string, lang: Lang): string {
    const en = lang === 'en';
    return renderPage(
      en ? 'Reset password' : 'Reset password',
      `<h1>${en ? 'Choose a new password' : 'Buat password baru'}</h1>
<form method="post" action="${escapeHtml(passwordResetAction(this.config))}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label>${escapeHtml(translate('f_password', lang))}<input type="password" name="password" minlength="8" required autocomplete="new-password"></label>
<label>${escapeHtml(translate('f_confirmation', lang))}<input type="password" name="confirmation" minlength="8" required autocomplete="new-password"></label>
<button type="submit">${en ? 'Save' : 'Simpan'}</button>
</form>`,
      lang,
    );
  }
}
