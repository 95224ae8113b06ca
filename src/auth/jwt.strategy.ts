import { Injectable } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser, UnauthorizedError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { KeysService } from '../keys/keys.service';
import { ACCESS_TOKEN_ALGORITHM } from '../keys/signing-key';
import type { User } from '../users/user.entity';
import { SessionUserQuery } from './session-user.query';
import { VerifiedTokens } from './verified-tokens';

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** What passport-jwt's Strategy calls on itself to end an authentication (passport's Strategy API). */
interface PassportOutcome {
  success(user: unknown): void;
  error(error: unknown): void;
}

export interface AccessTokenClaims {
  sub: string;
  role: string;
  sid: string;
  typ: 'access';
}

/**
 * Verifies the access token (signature with the pinned algorithm, issuer, audience, expiry), then
 * asks the database whether its session is still live, so logout and deletion end access at once.
 * The same query loads the user, attached to the request for handlers that need it (/me, /:id).
 * A token verified before skips the signature check (VerifiedTokens), never the session check.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @InjectConfig() config: AppConfig,
    keys: KeysService,
    private readonly sessions: SessionUserQuery,
    private readonly verified: VerifiedTokens,
  ) {
    super({
      jwtFromRequest: bearerToken,
      passReqToCallback: true,
      // The key named by the token's kid (rotation: several are published). A KeyObject rather than
      // a PEM string: jsonwebtoken would parse the PEM on every request. (jsonwebtoken accepts a
      // KeyObject; passport-jwt's types only name string | Buffer.) An unknown kid fails: 401.
      secretOrKeyProvider: (_request, token: string, done) => {
        let kid: unknown;
        try {
          kid = decodeProtectedHeader(token).kid;
        } catch {
          return done(new Error('malformed token'));
        }
        if (typeof kid !== 'string') return done(new Error('no kid'));
        keys.verificationKey(kid).then(
          (key) => (key ? done(null, key as unknown as Buffer) : done(new Error('unknown kid'))),
          (error: unknown) => done(error),
        );
      },
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.issuer,
      audience: config.auth.audience,
      ignoreExpiration: false,
    });
  }

  /** A token verified before goes straight to the claim and session check; any other through passport-jwt's verification first. */
  override authenticate(request: Parameters<Strategy['authenticate']>[0], options?: object): void {
    const token = bearerToken(request);
    const claims = token ? this.verified.get(token) : undefined;
    if (!claims) return super.authenticate(request, options);
    const outcome = this as unknown as PassportOutcome;
    this.check(claims).then(
      (user) => outcome.success(user),
      (error: unknown) => outcome.error(error),
    );
  }

  /** After passport-jwt's verification: the token is remembered, then checked like a remembered one. */
  async validate(request: Parameters<Strategy['authenticate']>[0], claims: Partial<AccessTokenClaims>): Promise<AuthUser<User>> {
    const user = await this.check(claims);
    const token = bearerToken(request);
    if (token) this.verified.remember(token, claims);
    return user;
  }

  private async check(claims: Partial<AccessTokenClaims>): Promise<AuthUser<User>> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.role !== 'string') {
      throw new UnauthorizedError();
    }
    const user = await this.sessions.find(claims.sid, claims.sub);
    if (!user) throw new UnauthorizedError();
    return { id: claims.sub, role: claims.role, sessionId: claims.sid, user };
  }
}
