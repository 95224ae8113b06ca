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
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @InjectConfig() config: AppConfig,
    keys: KeysService,
    private readonly sessions: SessionUserQuery,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
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

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthUser<User>> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.role !== 'string') {
      throw new UnauthorizedError();
    }
    const user = await this.sessions.find(claims.sid, claims.sub);
    if (!user) throw new UnauthorizedError();
    return { id: claims.sub, role: claims.role, sessionId: claims.sid, user };
  }
}
