import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { type AuthUser, type ClientInfo, ForbiddenError, NotFoundError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { type EventPage, EventsService } from '../events/events.service';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { BadLinkTokenError } from '../tokens/tokens.errors';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import type { Session } from '../tokens/session.entity';
import type { Gender, Role, User } from '../users/user.entity';
import { MAX_PAGE_SIZE, UsersService } from '../users/users.service';
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
    private readonly events: EventsService,
  ) {}

  /**
   * Self or admin. Profile fields change at once; a new password ends the user's other sessions;
   * a new email only becomes the account's once the link sent to it is clicked. Every check runs
   * before the first write, and every write, the emails included, runs in one transaction.
   * Emails are in the account's language (kept from its registration), whoever asks.
   */
  async update(caller: AuthUser, id: string, changes: AccountChanges, client: ClientInfo): Promise<{ user: User }> {
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
      const changed = pickDefined({
        name: user.name !== target.name ? user.name : undefined,
        no_tlp: user.noTlp !== target.noTlp ? user.noTlp : undefined,
        gender: user.gender !== target.gender ? user.gender : undefined,
      });
      if (Object.keys(changed).length) await this.events.record('user.updated', id, { user_id: id, changes: changed }, client, db);
      if (passwordHash !== undefined) {
        await this.users.setPasswordHash(id, passwordHash, db);
        // The caller keeps the session they are using when they changed their own password; pending
        // email-change and reset links are cancelled (before this request's own email link is issued below).
        const ended = await this.tokens.credentialsChanged(id, 'password_change', caller.id === id ? caller.sessionId : undefined, db);
        await this.events.record('user.password_changed', id, { user_id: id, via: caller.id === id ? 'self' : 'admin' }, client, db);
        await this.recordRevoked(id, ended, 'password_change', client, db);
      }
      if (roleChanges) {
        // Access tokens carry the role: ending the sessions means no live token keeps the old one.
        const ended = await this.tokens.revokeUserSessions(id, 'role_change', undefined, db);
        await this.recordRevoked(id, ended, 'role_change', client, db);
        await this.events.record('user.role_changed', id, { user_id: id, role: user.role, previous_role: target.role }, client, db);
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

  private async recordRevoked(userId: string, ended: string[], reason: string, client: ClientInfo, db: EntityManager): Promise<void> {
    if (ended.length) await this.events.record('session.revoked', userId, { user_id: userId, session_ids: ended, reason }, client, db);
  }

  /** Route 21: self or admin (the same rule as reading the user); a deleted user is a 404, their events stay in the log. */
  async history(caller: AuthUser, id: string, page: number, limit: number): Promise<EventPage> {
    await this.users.getForCaller(caller, id);
    return this.events.listForUser(id, page, Math.min(limit, MAX_PAGE_SIZE));
  }

  /** The caller's live sessions, newest first (route 17). */
  listSessions(caller: AuthUser): Promise<Session[]> {
    return this.tokens.listLiveSessions(caller.id);
  }

  /**
   * Ends one of the caller's sessions at once (route 18): its refresh token stops working and its
   * access tokens are refused from the next request. Another user's session, an ended one and an
   * unknown id all answer 404, so session ids cannot be probed.
   */
  async endSession(caller: AuthUser, sessionId: string, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      if (!(await this.tokens.revokeUserSession(caller.id, sessionId, 'session_end', db))) throw new NotFoundError('session_not_found');
      await this.recordRevoked(caller.id, [sessionId], 'session_end', client, db);
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
  async confirmEmailChange(token: string, client: ClientInfo): Promise<'email_changed'> {
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
      const previous = await this.users.getById(userId, db);
      await this.users.update(userId, { email: newEmail }, db);
      // Reset links went to the old address, which is no longer this account's.
      await this.tokens.cancelLinks(userId, ['password_reset'], db);
      // The addresses, for services that keep a copy of the customer (and can tell who to notify).
      const data = { user_id: userId, email: newEmail, previous_email: previous.email };
      await this.events.record('user.email_changed', userId, data, client, db);
      return 'email_changed' as const;
    });
  }

  /**
   * Self or admin; a hard delete. Sessions, refresh tokens and link tokens go with the row
   * (ON DELETE CASCADE), so the user's access tokens are refused at once, and the address is
   * free to register again. Answers with the user as it was.
   */
  async remove(caller: AuthUser, id: string, client: ClientInfo): Promise<User> {
    await this.users.getForCaller(caller, id);
    return this.dataSource.transaction(async (db) => {
      await this.users.assertNotLastAdmin(id, 'last_admin_delete', db);
      const user = await this.users.getForUpdate(id, db);
      // Ended explicitly (the rows go with the user anyway) so consumers learn which sessions ended.
      const ended = await this.tokens.revokeUserSessions(id, 'deleted', undefined, db);
      await this.users.remove(id, db);
      await this.recordRevoked(id, ended, 'deleted', client, db);
      await this.events.record('user.deleted', id, { user_id: id }, client, db);
      return user;
    });
  }
}

function pickDefined<T extends object>(values: T): Partial<T> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<T>;
}
