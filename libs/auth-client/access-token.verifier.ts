import { jwtVerify, type JWTPayload } from 'jose';
import {
  DEFAULT_AUDIENCE,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS,
  DEFAULT_MAX_TOKEN_LIFETIME_SECONDS,
  type AuthClientModuleOptions,
} from './auth-client.options';
import { Discovery } from './discovery';
import { IssuerUnavailableError, TokenRefusedError } from './errors';
import { Introspector } from './introspection';
import { JwksCache } from './jwks-cache';
import { RevocationList } from './revocation-list';

export interface AccessTokenClaims extends JWTPayload {
  sub: string;
  role: string;
  sid: string;
  typ: 'access';
  iat: number;
  exp: number;
}

/** What AuthClientGuard puts on `request.user`. */
export interface AuthClientUser {
  id: string;
  role: string;
  sessionId: string;
  claims: AccessTokenClaims;
}

/**
 * Verifies the user service's access tokens: ES256 only, pinned here and never taken from the
 * token; `iss`, `aud`, header `typ: at+jwt`, claim `typ: access`, `exp` with the clock tolerance;
 * then the revocation list. Usable without Nest's HTTP layer (a gateway, a message handler).
 */
export class AccessTokenVerifier {
  private readonly discovery: Discovery;
  private readonly jwks: JwksCache;
  private readonly introspector?: Introspector;
  private readonly audience: string;
  private readonly clockTolerance: number;
  private readonly maxTokenAge?: number;

  constructor(
    private readonly options: AuthClientModuleOptions,
    readonly revocations: RevocationList = new RevocationList(),
  ) {
    this.discovery = new Discovery(options.issuer);
    this.audience = options.audience ?? DEFAULT_AUDIENCE;
    this.clockTolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    const interval = options.jwksMinRefetchIntervalMs ?? DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS;
    this.jwks = new JwksCache(async () => (await this.discovery.get()).jwks_uri, interval);
    if (options.introspection) {
      this.introspector = new Introspector(async () => {
        const endpoint = (await this.discovery.get()).introspection_endpoint;
        if (!endpoint) throw new IssuerUnavailableError('discovery has no introspection_endpoint');
        return endpoint;
      }, options.introspection);
    }
    // The revocation list forgets after the longest lifetime, so a longer-lived token must not pass.
    if (options.revocation) this.maxTokenAge = options.revocation.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
  }

  /** Throws TokenRefusedError (→ 401) or IssuerUnavailableError (→ 503). */
  async verify(token: string): Promise<AuthClientUser> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.jwks.key(header.kid), {
        algorithms: ['ES256'],
        issuer: this.options.issuer,
        audience: this.audience,
        typ: 'at+jwt',
        clockTolerance: this.clockTolerance,
        requiredClaims: ['sub', 'sid', 'role', 'iat', 'exp'],
        maxTokenAge: this.maxTokenAge,
      }));
    } catch (error) {
      if (error instanceof IssuerUnavailableError || error instanceof TokenRefusedError) throw error;
      throw new TokenRefusedError((error as Error).message, { cause: error });
    }
    // An access token, not another JWT of the same issuer that happens to be signed with its key.
    if (payload.typ !== 'access') throw new TokenRefusedError('claim typ is not "access"');
    const { sub, role, sid } = payload as Partial<AccessTokenClaims>;
    if (typeof sub !== 'string' || typeof role !== 'string' || typeof sid !== 'string') {
      throw new TokenRefusedError('sub, role and sid must be strings');
    }
    if (this.revocations.isRevoked(payload)) throw new TokenRefusedError('revoked by an event');
    return { id: sub, role, sessionId: sid, claims: payload as AccessTokenClaims };
  }

  /** Asks the user service whether the token's session is still live (answers cached ≤ 2 s). */
  async isSessionLive(token: string, user: AuthClientUser): Promise<boolean> {
    if (!this.introspector) {
      throw new Error('@RequireLiveSession needs AuthClientModule.forRoot({ introspection: { clientId, clientSecret } })');
    }
    const result = await this.introspector.introspect(token);
    return result.active === true && result.sub === user.id && (result.sid === undefined || result.sid === user.sessionId);
  }
}
