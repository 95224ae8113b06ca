import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { escapeHtml, type Lang, renderPage, translate } from '../../libs/http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import { UsersService } from '../users/users.service';
import { BadLinkTokenError, CurrentPasswordError } from './auth.errors';
import { LoginFailures } from './login-failures';

/** Forgot / reset by emailed link, and the current-password check of a logged-in change. */
@Injectable()
export class PasswordResetService {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly mail: MailService,
    private readonly hasher: PasswordHasher,
    private readonly loginFailures: LoginFailures,
  ) {}

  /**
   * Same answer, in the same time, for every address: the lookup runs after the response. An
   * existing user gets a single-use link, and older ones stop working.
   */
  requestReset(email: string, lang: Lang): void {
    this.mail.later('password reset request', async () => {
      const user = await this.users.findByEmail(email);
      if (!user) return;
      const token = await this.tokens.issueOneTimeToken(undefined, user.id, 'password_reset', this.config.auth.passwordResetTtl, {
        replace: true,
      });
      // Built from configuration only: a Host or X-Forwarded-Host header never shapes this link.
      const base = this.config.auth.passwordResetUrl ?? `${this.config.appUrl}/api/users/password/reset`;
      const link = `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
      this.mail.send(user.email, 'password_reset', lang, {
        name: user.name,
        link,
        ttl: describeDuration(this.config.auth.passwordResetTtl, lang),
      });
    });
  }

  /**
   * New password, token spent and every session ended, in one transaction. The link proves the
   * person reads that mailbox, so an account not yet activated becomes active, and the account's
   * failed-login lock is lifted: the owner can log in straight away.
   */
  async reset(token: string, password: string): Promise<void> {
    const passwordHash = await this.hasher.hash(password);
    const email = await this.dataSource.transaction(async (db) => {
      const check = await this.tokens.checkOneTimeToken(token, 'password_reset', db);
      if (check.status === 'expired') throw new BadLinkTokenError('reset_expired');
      if (check.status !== 'valid') throw new BadLinkTokenError('reset_invalid');
      const { userId } = check.token;
      await this.users.setPasswordHash(userId, passwordHash, db);
      await this.users.activate(userId, db);
      await this.tokens.markUsed(check.token.id, db);
      await this.tokens.revokeUserSessions(userId, 'password_reset', undefined, db);
      return (await this.users.getById(userId, db)).email;
    });
    await this.loginFailures.clear(email);
  }

  /** Checks the current password of a user; missing or wrong is a 400. */
  async assertCurrentPassword(userId: string, currentPassword: string | undefined): Promise<void> {
    if (!currentPassword) throw new CurrentPasswordError('current_password_required');
    const user = await this.users.findWithPasswordHash({ id: userId });
    if (!user || !(await this.hasher.verify(currentPassword, user.passwordHash))) {
      throw new CurrentPasswordError('current_password_wrong');
    }
  }

  renderForm(token: string, lang: Lang): string {
    const en = lang === 'en';
    return renderPage(
      en ? 'Reset password' : 'Reset password',
      `<h1>${en ? 'Choose a new password' : 'Buat password baru'}</h1>
<form method="post" action="${escapeHtml(`${this.config.appUrl}/api/users/password/reset`)}">
<input type="hidden" name="token" value="${escapeHtml(token)}">
<label>${escapeHtml(translate('f_password', lang))}<input type="password" name="password" minlength="8" required autocomplete="new-password"></label>
<label>${escapeHtml(translate('f_confirmation', lang))}<input type="password" name="confirmation" minlength="8" required autocomplete="new-password"></label>
<button type="submit">${en ? 'Save' : 'Simpan'}</button>
</form>`,
      lang,
    );
  }
}
