import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser, UnauthorizedError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { TokensService } from '../tokens/tokens.service';
import { ACCESS_TOKEN_ALGORITHM, SIGNING_KEYS, type SigningKeys } from '../keys/signing-keys';

export interface AccessTokenClaims {
  sub: string;
  role: string;
  sid: string;
  typ: 'access';
}

/**
 * Verifies the access token (signature with the pinned algorithm, issuer, audience, expiry), then
 * asks the database whether its session is still live, so logout and deletion end access at once.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    @InjectConfig() config: AppConfig,
    @Inject(SIGNING_KEYS) keys: SigningKeys,
    private readonly tokens: TokensService,
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

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthUser> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.role !== 'string') {
      throw new UnauthorizedError();
    }
    if (!(await this.tokens.isSessionActive(claims.sid, claims.sub))) throw new UnauthorizedError();
    return { id: claims.sub, role: claims.role, sessionId: claims.sid };
  }
}
