import { Logger } from '@nestjs/common';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { IssuerUnavailableError, TokenRefusedError } from './errors';
import { fetchJson } from './http-fetch';

/** Used when the JWKS response has no usable `Cache-Control: max-age`. */
const DEFAULT_MAX_AGE_MS = 5 * 60_000;
const LONGEST_MAX_AGE_MS = 24 * 60 * 60_000;

/**
 * The issuer's ES256 public keys by `kid`.
 *
 * Written here rather than jose's createRemoteJWKSet, whose cooldown ignores Cache-Control and
 * starts only after a successful fetch, so a failing JWKS endpoint is fetched once per bogus kid.
 *
 * - Routine refresh when the response's `max-age` has passed (never more often than the interval).
 * - An unknown `kid` refetches at once, single-flight, at most once per `minRefetchIntervalMs`;
 *   a cold or routine fetch that the token waited for counts as its refetch. So a flood of bogus
 *   kids costs at most one fetch per interval, and a key added by rotation is found at once
 *   unless such a flood came first (the user service publishes next keys ahead, so routine
 *   refresh finds those anyway).
 * - A failed refresh keeps the keys already held and retries after the interval; only with no
 *   keys at all is it an IssuerUnavailableError.
 */
export class JwksCache {
  private readonly logger = new Logger('AuthClient');
  private keys?: Map<string, CryptoKey>;
  private freshUntil = 0;
  private lastKidRefetchAt = -Infinity;
  private inFlight?: Promise<void>;

  constructor(
    private readonly jwksUri: () => Promise<string>,
    private readonly minRefetchIntervalMs: number,
  ) {}

  async key(kid: unknown): Promise<CryptoKey> {
    if (typeof kid !== 'string' || !kid) throw new TokenRefusedError('no kid in the token header');
    if (!this.keys || Date.now() >= this.freshUntil) {
      const startedAt = Date.now();
      await this.refresh();
      const key = this.keys!.get(kid);
      if (key) return key;
      this.lastKidRefetchAt = Math.max(this.lastKidRefetchAt, startedAt);
      throw new TokenRefusedError(`unknown kid ${JSON.stringify(kid.slice(0, 80))}`);
    }
    const known = this.keys.get(kid);
    if (known) return known;
    if (this.inFlight) {
      await this.inFlight;
    } else if (Date.now() - this.lastKidRefetchAt >= this.minRefetchIntervalMs) {
      this.lastKidRefetchAt = Date.now();
      await this.refresh();
    }
    const key = this.keys.get(kid);
    if (key) return key;
    throw new TokenRefusedError(`unknown kid ${JSON.stringify(kid.slice(0, 80))}`);
  }

  /** Single-flight: callers during a fetch share it. */
  private refresh(): Promise<void> {
    this.inFlight ??= this.load().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async load(): Promise<void> {
    try {
      const accept = 'application/jwk-set+json, application/json';
      const { body, headers } = await fetchJson(await this.jwksUri(), { headers: { accept } });
      this.keys = await importKeys(body);
      this.freshUntil = Date.now() + this.maxAge(headers.get('cache-control'));
    } catch (error) {
      if (!this.keys) throw error instanceof IssuerUnavailableError ? error : new IssuerUnavailableError(String(error), { cause: error });
      this.logger.warn(`JWKS refresh failed, keeping the ${this.keys.size} keys held: ${(error as Error).message}`);
      this.freshUntil = Date.now() + this.minRefetchIntervalMs;
    }
  }

  private maxAge(cacheControl: string | null): number {
    const seconds = /(?:^|,)\s*max-age\s*=\s*"?(\d+)"?/i.exec(cacheControl ?? '')?.[1];
    const ms = seconds === undefined ? DEFAULT_MAX_AGE_MS : Number(seconds) * 1000;
    return Math.min(LONGEST_MAX_AGE_MS, Math.max(this.minRefetchIntervalMs, ms));
  }
}

/** Only ES256 signing keys with a kid; private members, if an issuer ever leaked them, are not copied. */
async function importKeys(body: unknown): Promise<Map<string, CryptoKey>> {
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) throw new IssuerUnavailableError('JWKS has no "keys" array');
  const keys = new Map<string, CryptoKey>();
  for (const jwk of list as JWK[]) {
    if (typeof jwk?.kid !== 'string' || jwk.kty !== 'EC' || jwk.crv !== 'P-256') continue;
    if ((jwk.alg !== undefined && jwk.alg !== 'ES256') || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
    try {
      keys.set(jwk.kid, await importJWK({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, 'ES256'));
    } catch {
      // A malformed entry must not hide the good ones.
    }
  }
  return keys;
}
