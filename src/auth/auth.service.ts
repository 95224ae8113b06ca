import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { ForbiddenError, type Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { MailService } from '../mail/mail.service';
import { describeDuration } from '../mail/templates';
import { type SessionDevice, TokensService } from '../tokens/tokens.service';
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

export type RegisterInput = Omit<NewUser, 'passwordHash' | 'role' | 'isActive'> & { password: string };

/** Orchestrates the flows that span users, tokens and mail. */
@Injectable()
export class AuthService {
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

  /** User + activation token in one transaction; the email goes out after it commits. */
  async register({ password, ...input }: RegisterInput, lang: Lang): Promise<User> {
    const passwordHash = await this.hasher.hash(password);
    const { user, token } = await this.dataSource.transaction(async (db) => {
      const user = await this.users.create({ ...input, passwordHash }, db);
      const token = await this.tokens.issueOneTimeToken(user.id, 'activation', this.config.auth.activationTtl, {}, db);
      return { user, token };
    });
    this.sendActivation(user, token, lang);
    return user;
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
   * Same answer, in the same time, whatever the address: the lookup runs after the response. An
   * inactive account gets a fresh link, and older ones stop working.
   */
  resendActivation(email: string, lang: Lang): void {
    this.mail.later('activation resend', async () => {
      const user = await this.users.findByEmail(email);
      if (!user || user.isActive) return;
      const token = await this.tokens.issueOneTimeToken(user.id, 'activation', this.config.auth.activationTtl, { replace: true });
      this.sendActivation(user, token, lang);
    });
  }

  private sendActivation(user: User, token: string, lang: Lang): void {
    this.mail.send(user.email, 'activation', lang, {
      name: user.name,
      link: activationLink(this.config, token),
      ttl: describeDuration(this.config.auth.activationTtl, lang),
    });
  }

  /**
   * Unknown email and wrong password fail alike (same 401, a bcrypt comparison either way).
   * The right password on an inactive account is a 403.
   */
  async login(email: string, password: string, device: SessionDevice = {}): Promise<{ user: User; tokens: TokenPair }> {
    await this.loginFailures.begin(email);
    const user = await this.users.findWithPasswordHash({ email });
    const valid = user ? await this.hasher.verify(password, user.passwordHash) : await this.hasher.verifyAgainstNothing(password);
    if (!user || !valid) throw new InvalidCredentialsError();
    await this.loginFailures.clear(email);
    if (!user.isActive) throw new AccountNotActivatedError();
    const { session, refreshToken } = await this.tokens.createSession(user.id, this.config.auth.refreshTtl, device);
    return { user, tokens: await this.tokenPair(user, session.id, refreshToken) };
  }

  /** Rotation: the presented token stops working; reuse after the grace window ends the session. */
  async refresh(presented: string): Promise<{ user: User; tokens: TokenPair }> {
    const outcome = await this.tokens.rotateRefreshToken(presented, this.config.auth.refreshReuseGrace);
    if (outcome.status !== 'rotated') throw new InvalidRefreshTokenError();
    const user = await this.users.getById(outcome.userId);
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
    const claims = await this.jwt.verifyAsync<Partial<AccessTokenClaims>>(token).catch(() => null);
    return claims?.typ === 'access' && typeof claims.sub === 'string' ? claims.sub : null;
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
