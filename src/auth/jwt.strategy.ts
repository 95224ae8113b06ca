import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser, UnauthorizedError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { ACCESS_TOKEN_ALGORITHM, SIGNING_KEYS, type SigningKeys } from '../keys/signing-keys';
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
    @Inject(SIGNING_KEYS) keys: SigningKeys,
    private readonly sessions: SessionUserQuery,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject rather than the PEM string: jsonwebtoken would parse the PEM on every request.
      // (jsonwebtoken accepts a KeyObject; passport-jwt's types only name string | Buffer.)
      secretOrKeyProvider: (_request, _token, done) => done(null, keys.publicKey as unknown as Buffer),
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
