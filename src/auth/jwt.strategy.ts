import { Injectable } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AuthUser, UnauthorizedError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { TokensService } from '../tokens/tokens.service';
import { KeysService } from '../keys/keys.service';
import { ACCESS_TOKEN_ALGORITHM } from '../keys/signing-key';

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
    keys: KeysService,
    private readonly tokens: TokensService,
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

  async validate(claims: Partial<AccessTokenClaims>): Promise<AuthUser> {
    if (claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string' || typeof claims.role !== 'string') {
      throw new UnauthorizedError();
    }
    if (!(await this.tokens.isSessionActive(claims.sid, claims.sub))) throw new UnauthorizedError();
    return { id: claims.sub, role: claims.role, sessionId: claims.sid };
  }
}
