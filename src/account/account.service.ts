import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { type AuthUser, ForbiddenError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { BadLinkTokenError } from '../tokens/tokens.errors';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import type { Gender, Role, User } from '../users/user.entity';
import { UsersService } from '../users/users.service';
import { emailChangeLink } from '../auth/links';
import { CurrentPasswordError } from '../users/users.errors';
import { LoginFailures } from '../rate-limit/login-failures';

/** A partial update; `undefined` leaves a field as it is, `null` clears no_tlp / gender. */
export interface AccountChanges {
  name?: string;
  email?: string;
  password?: string;
  currentPassword?: string;
  noTlp?: string | null;
  gender?: Gender | null;
  role?: Role;
}

/**
 * Updating and deleting accounts (routes 10, 11) and confirming a new email address: flows that
 * span users, sessions, link tokens and mail, so they live here rather than in UsersModule.
 */
@Injectable()
export class AccountService {
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
   * Self or admin. Profile fields change at once; a new password ends the user's other sessions;
   * a new email only becomes the account's once the link sent to it is clicked. Every check runs
   * before the first write, and every write, the emails included, runs in one transaction.
   * Emails are in the account's language (kept from its registration), whoever asks.
   */
  async update(caller: AuthUser, id: string, changes: AccountChanges): Promise<{ user: User }> {
    const target = await this.users.getForCaller(caller, id);
    if (changes.role !== undefined && caller.role !== 'admin') throw new ForbiddenError('role_forbidden');

    const newEmail = changes.email !== undefined && changes.email !== target.email ? changes.email : undefined;
    if (newEmail !== undefined || changes.password !== undefined) {
      // Always the caller's own password: for an admin editing someone else it is a re-authentication,
      // so a stolen admin access token alone cannot take over accounts by changing their credentials.
      await this.assertCurrentPassword(caller.id, changes.currentPassword);
    }
    // Hashed before the transaction: bcrypt takes tens of milliseconds and must not hold row locks.
    const passwordHash = changes.password !== undefined ? await this.hasher.hash(changes.password) : undefined;
    const roleChanges = changes.role !== undefined && changes.role !== target.role;

    return this.dataSource.transaction(async (db) => {
      if (roleChanges && changes.role !== 'admin') await this.users.assertNotLastAdmin(id, 'last_admin', db);
      const profile = pickDefined({ name: changes.name, noTlp: changes.noTlp, gender: changes.gender, role: changes.role });
      const user = await this.users.update(id, profile, db);
      if (passwordHash !== undefined) {
        await this.users.setPasswordHash(id, passwordHash, db);
        // The caller keeps the session they are using when they changed their own password; pending
        // email-change and reset links are cancelled (before this request's own email link is issued below).
        await this.tokens.credentialsChanged(id, 'password_change', caller.id === id ? caller.sessionId : undefined, db);
      }
      if (roleChanges) {
        // Access tokens carry the role: ending the sessions means no live token keeps the old one.
        await this.tokens.revokeUserSessions(id, 'role_change', undefined, db);
      }
      if (passwordHash !== undefined) await this.mail.send(user.email, 'password_changed', user.lang, { name: user.name }, db);
      if (newEmail !== undefined) {
        const emailTaken = (await this.users.findByEmail(newEmail, db)) !== null;
        // The newest request wins: an earlier pending link for this account stops working.
        const ttl = this.config.auth.emailChangeTtl;
        const emailToken = await this.tokens.issueOneTimeToken(id, 'email_change', ttl, { replace: true, newEmail }, db);
        await this.mail.send(user.email, 'email_change_notice', user.lang, { name: user.name, newEmail }, db);
        // A taken address gets no link (it could never be confirmed, and its owner did not ask for
        // it); the caller's answer is the same either way, so the request reveals nothing.
        if (!emailTaken) {
          await this.mail.send(
            newEmail,
            'email_change',
            user.lang,
            { name: user.name, link: emailChangeLink(this.config, emailToken), ttl: describeDuration(ttl, user.lang) },
            db,
          );
        }
      }
      return { user };
    });
  }

  /**
   * Missing or wrong is a 400. Each answer counts on the caller's failed-login counter (the one
   * login uses, by their email), so a stolen access token is no unthrottled password oracle:
   * past LOGIN_FAILURES_LIMIT both this and login answer 429; the right password clears it.
   */
  private async assertCurrentPassword(userId: string, currentPassword: string | undefined): Promise<void> {
    if (!currentPassword) throw new CurrentPasswordError('current_password_required');
    const { email } = await this.users.getById(userId);
    await this.loginFailures.begin(email);
    if (!(await this.users.verifyPassword(userId, currentPassword))) throw new CurrentPasswordError('current_password_wrong');
    await this.loginFailures.clear(email);
  }

  /**
   * The link sent to the new address. The address may have been registered since the request;
   * then the unique index refuses it (409) and the old address stays.
   */
  async confirmEmailChange(token: string): Promise<'email_changed'> {
    return this.dataSource.transaction(async (db) => {
      const { token: link, repeat } = await this.tokens.consume(token, 'email_change', db);
      const { userId, newEmail } = link;
      if (!newEmail) throw new BadLinkTokenError('email_change', 'invalid');
      if (repeat) {
        // Mail scanners open links before people do: a second click still reports success.
        const user = await this.users.getById(userId, db);
        if (user.email === newEmail) return 'email_changed' as const;
        throw new BadLinkTokenError('email_change', 'invalid');
      }
      // Taken since the request? The unique index refuses the update: 409 "Email sudah terdaftar".
      await this.users.update(userId, { email: newEmail }, db);
      // Reset links went to the old address, which is no longer this account's.
      await this.tokens.cancelLinks(userId, ['password_reset'], db);
      return 'email_changed' as const;
    });
  }

  /**
   * Self or admin; a hard delete. Sessions, refresh tokens and link tokens go with the row
   * (ON DELETE CASCADE), so the user's access tokens are refused at once, and the address is
   * free to register again. Answers with the user as it was.
   */
  async remove(caller: AuthUser, id: string): Promise<User> {
    await this.users.getForCaller(caller, id);
    return this.dataSource.transaction(async (db) => {
      await this.users.assertNotLastAdmin(id, 'last_admin_delete', db);
      const user = await this.users.getForUpdate(id, db);
      await this.users.remove(id, db);
      return user;
    });
  }
}

function pickDefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
