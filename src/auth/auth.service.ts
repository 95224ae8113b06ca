import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { type ClientInfo, ForbiddenError, type Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { EventsService } from '../events/events.service';
import { KeysService } from '../keys/keys.service';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import type { User } from '../users/user.entity';
import { UsersService, type NewUser } from '../users/users.service';
import { LoginFailures } from '../rate-limit/login-failures';
import { AccountNotActivatedError, InvalidCredentialsError, InvalidRefreshTokenError } from './auth.errors';
import type { AccessTokenClaims } from './jwt.strategy';
import { peekLinkToken } from './link-check';
import { activationLink } from './links';
import { SessionUserQuery } from './session-user.query';

export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: 'Bearer';
  expires_in: number;
}

/** The outbox request kind of POST /users/activation/resend. */
const ACTIVATION_RESEND = 'activation_resend';

export type RegisterInput = Omit<NewUser, 'passwordHash' | 'role' | 'isActive'> & { password: string };

/** Orchestrates the flows that span users, tokens and mail. */
@Injectable()
export class AuthService implements OnModuleInit {
  private readonly logger = new Logger(AuthService.name);

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly mail: MailService,
    private readonly hasher: PasswordHasher,
    private readonly keys: KeysService,
    private readonly loginFailures: LoginFailures,
    private readonly events: EventsService,
    private readonly sessionUsers: SessionUserQuery,
  ) {}

  onModuleInit(): void {
    this.mail.registerRequestHandler(ACTIVATION_RESEND, (request, manager) => this.resendFor(request.address, manager));
  }

  /**
   * User + activation token + its email + its event in one transaction: a 201 always has its mail. The user
   * keeps the registration's language for every later email.
   */
  async register({ password, ...input }: RegisterInput, lang: Lang, client: ClientInfo): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    return this.dataSource.transaction(async (db) => {
      const user = await this.users.create({ ...input, passwordHash, lang }, db);
      const token = await this.tokens.issueOneTimeToken(user.id, 'activation', this.config.auth.activationTtl, {}, db);
      // The profile, so other services can keep their copy of the customer; never the password.
      const profile = { user_id: user.id, name: user.name, email: user.email, no_tlp: user.noTlp, gender: user.gender, role: user.role };
      await this.events.record('user.registered', user.id, profile, client, db);
      await this.sendActivation(user, token, db);
      return user;
    });
  }

  /**
   * Activates from the emailed link. A second click on an unexpired link says "already active"
   * (mail scanners open links before people do).
   */
  async activate(token: string, client: ClientInfo): Promise<'activated' | 'already_active'> {
    return this.dataSource.transaction(async (db) => {
      const { token: link, repeat } = await this.tokens.consume(token, 'activation', db);
      if (repeat) return 'already_active';
      await this.users.activate(link.userId, db);
      await this.events.record('user.activated', link.userId, { user_id: link.userId }, client, db);
      return 'activated';
    });
  }

  /**
   * The state of an activation link without using it (the page a browser or mail scanner opens):
   * 'pending' when the button would activate, 'already_active' for a used, unexpired link.
   * Unknown and expired throw the same 400 as activating would.
   */
  async checkActivation(token: string): Promise<'pending' | 'already_active'> {
    const { repeat } = await peekLinkToken(this.dataSource, this.tokens, token, 'activation');
    return repeat ? 'already_active' : 'pending';
  }

  /**
   * Same answer, in the same time, whatever the address: the request only queues the work (one
   * insert; while the database is away that fails, and the client gets 503, not a 202 that drops
   * it). The outbox worker does the lookup in `resendFor`.
   */
  async resendActivation(email: string, lang: Lang): Promise<void> {
    await this.mail.request(ACTIVATION_RESEND, email, lang);
  }

  /** In the worker: an inactive account gets a fresh link, and older ones stop working. */
  private async resendFor(email: string, db: EntityManager): Promise<void> {
    const user = await this.users.findByEmail(email, db);
    if (!user || user.isActive) return;
    // Capped this hour: send nothing, and leave the link already sent working.
    if (!(await this.mail.allows(user.email, 'activation', db))) return;
    const token = await this.tokens.issueOneTimeToken(user.id, 'activation', this.config.auth.activationTtl, { replace: true }, db);
    await this.sendActivation(user, token, db);
  }

  private async sendActivation(user: User, token: string, db: EntityManager): Promise<void> {
    await this.mail.send(
      user.email,
      'activation',
      user.lang,
      { name: user.name, link: activationLink(this.config, token), ttl: describeDuration(this.config.auth.activationTtl, user.lang) },
      db,
    );
  }

  /**
   * Unknown email and wrong password fail alike (same 401, a bcrypt comparison either way).
   * The right password on an inactive account is a 403.
   */
  async login(email: string, password: string, client: ClientInfo): Promise<{ user: User; tokens: TokenPair }> {
    await this.loginFailures.begin(email);
    const user = await this.users.findWithPasswordHash({ email });
    const valid = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verifyAgainstNothing(password);
    if (user && !valid) this.recordLoginFailure(user.id, 'invalid_password', client);
    if (!user || !valid) throw new InvalidCredentialsError();
    await this.loginFailures.clear(email);
    if (!user.isActive) {
      this.recordLoginFailure(user.id, 'not_activated', client);
      throw new AccountNotActivatedError();
    }
    // The session, its refresh token and the event in one statement: one round trip, one commit.
    const { session, refreshToken } = await this.tokens.createSession(user.id, this.config.auth.refreshTtl, client, (sessionId) =>
      this.events.insertStatement('user.logged_in', user.id, { user_id: user.id, session_id: sessionId }, client),
    );
    return { user, tokens: await this.tokenPair(user, session.id, refreshToken) };
  }

  /**
   * Not awaited: a failed login changes nothing else, and waiting for the insert would make a
   * wrong password slower than an unknown email (which has no user to log against).
   */
  private recordLoginFailure(userId: string, reason: 'invalid_password' | 'not_activated', client: ClientInfo): void {
    this.events
      .record('user.login_failed', userId, { user_id: userId, reason }, client)
      .catch((error: unknown) =>
        this.logger.warn(`could not log a failed login: ${error instanceof Error ? error.message : String(error)}`),
      );
  }

  /**
   * Rotation: the presented token stops working; reuse after the grace window ends the session
   * (and its event commits with the revocation). One round trip: the rotation's statement also
   * reads the user the new access token is for.
   */
  async refresh(presented: string, client: ClientInfo): Promise<{ user: User; tokens: TokenPair }> {
    const outcome = await this.tokens.rotateRefreshToken(
      presented,
      this.config.auth.refreshReuseGrace,
      async (db, reused) => {
        const data = { user_id: reused.userId, session_ids: [reused.sessionId], reason: 'refresh_reuse' };
        await this.events.record('session.revoked', reused.userId, data, client, db);
      },
      this.sessionUsers.rotationJoin,
    );
    if (outcome.status !== 'rotated' || !outcome.joined) throw new InvalidRefreshTokenError();
    const user = outcome.joined;
    return { user, tokens: await this.tokenPair(user, outcome.sessionId, outcome.refreshToken) };
  }

  /**
   * The route list's logout body names the token and the user: both must be the caller's (403
   * otherwise), and then it is route 6 on the caller's session.
   */
  async assertOwnLogoutBody(callerId: string, body: { token?: string; userId?: string }): Promise<void> {
    if (body.userId !== undefined && body.userId.toLowerCase() !== callerId) throw new ForbiddenError();
    if (body.token !== undefined && (await this.tokenOwner(body.token)) !== callerId) throw new ForbiddenError();
  }

  /** The user a refresh token or a valid access token of this service belongs to. */
  private async tokenOwner(token: string): Promise<string | null> {
    const refreshOwner = await this.tokens.findRefreshTokenOwner(token);
    if (refreshOwner) return refreshOwner;
    const claims = (await this.keys.verify(token)) as Partial<AccessTokenClaims> | null;
    return claims?.typ === 'access' && typeof claims.sub === 'string' ? claims.sub : null;
  }

  async logout(userId: string, sessionId: string, all: boolean, client: ClientInfo): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      // Ending every session is a credentials change: pending email-change and reset links go too.
      const ended = all
        ? await this.tokens.credentialsChanged(userId, 'logout_all', undefined, db)
        : (await this.tokens.revokeSession(sessionId, 'logout', db))
          ? [sessionId]
          : [];
      const data = { user_id: userId, session_ids: ended, reason: all ? 'logout_all' : 'logout' };
      if (ended.length) await this.events.record('session.revoked', userId, data, client, db);
    });
  }

  private async tokenPair(user: User, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, sid: sessionId, typ: 'access' };
    return {
      access_token: await this.keys.sign(claims, this.config.auth.accessTtl),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.config.auth.accessTtl,
    };
  }
}
