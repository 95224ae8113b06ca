import { Injectable, OnModuleInit } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { TokensService } from '../tokens/tokens.service';
import { PasswordHasher } from '../users/password-hasher';
import type { User } from '../users/user.entity';
import { UsersService, type NewUser } from '../users/users.service';
import { LoginFailures } from '../rate-limit/login-failures';
import { AccountNotActivatedError, InvalidCredentialsError, InvalidRefreshTokenError } from './auth.errors';
import type { AccessTokenClaims } from './jwt.strategy';
import { activationLink } from './links';

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
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly users: UsersService,
    private readonly tokens: TokensService,
    private readonly mail: MailService,
    private readonly hasher: PasswordHasher,
    private readonly jwt: JwtService,
    private readonly loginFailures: LoginFailures,
  ) {}

  onModuleInit(): void {
    this.mail.registerRequestHandler(ACTIVATION_RESEND, (request, manager) => this.resendFor(request.address, manager));
  }

  /**
   * User + activation token + its email in one transaction: a 201 always has its mail. The user
   * keeps the registration's language for every later email.
   */
  async register({ password, ...input }: RegisterInput, lang: Lang): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    return this.dataSource.transaction(async (db) => {
      const user = await this.users.create({ ...input, passwordHash, lang }, db);
      const token = await this.tokens.issueOneTimeToken(user.id, 'activation', this.config.auth.activationTtl, {}, db);
      await this.sendActivation(user, token, db);
      return user;
    });
  }

  /**
   * Activates from the emailed link. A second click on an unexpired link says "already active"
   * (mail scanners open links before people do).
   */
  async activate(token: string): Promise<'activated' | 'already_active'> {
    return this.dataSource.transaction(async (db) => {
      const { token: link, repeat } = await this.tokens.consume(token, 'activation', db);
      if (repeat) return 'already_active';
      await this.users.activate(link.userId, db);
      return 'activated';
    });
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
  async login(email: string, password: string): Promise<{ user: User; tokens: TokenPair }> {
    await this.loginFailures.begin(email);
    const user = await this.users.findWithPasswordHash({ email });
    const valid = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verifyAgainstNothing(password);
    if (!user || !valid) throw new InvalidCredentialsError();
    await this.loginFailures.clear(email);
    if (!user.isActive) throw new AccountNotActivatedError();
    const { session, refreshToken } = await this.tokens.createSession(user.id, this.config.auth.refreshTtl);
    return { user, tokens: await this.tokenPair(user, session.id, refreshToken) };
  }

  /** Rotation: the presented token stops working; reuse after the grace window ends the session. */
  async refresh(presented: string): Promise<{ user: User; tokens: TokenPair }> {
    const outcome = await this.tokens.rotateRefreshToken(presented, this.config.auth.refreshReuseGrace);
    if (outcome.status !== 'rotated') throw new InvalidRefreshTokenError();
    const user = await this.users.getById(outcome.userId);
    return { user, tokens: await this.tokenPair(user, outcome.sessionId, outcome.refreshToken) };
  }

  async logout(userId: string, sessionId: string, all: boolean): Promise<void> {
    // Ending every session is a credentials change: pending email-change and reset links go too.
    if (all) await this.dataSource.transaction((db) => this.tokens.credentialsChanged(userId, 'logout_all', undefined, db));
    else await this.tokens.revokeSession(sessionId, 'logout');
  }

  private async tokenPair(user: User, sessionId: string, refreshToken: string): Promise<TokenPair> {
    const claims: AccessTokenClaims = { sub: user.id, role: user.role, sid: sessionId, typ: 'access' };
    return {
      access_token: await this.jwt.signAsync(claims),
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: this.config.auth.accessTtl,
    };
  }
}
