import { IssuerUnavailableError } from './errors';
import { fetchJson } from './http-fetch';

/**
 * How long an introspection answer is reused. Short on purpose: @RequireLiveSession exists for
 * routes that cannot wait for `exp`, so a session ended at the user service is refused here at
 * most this long after.
 */
export const INTROSPECTION_CACHE_MS = 2_000;
const MAX_CACHED = 10_000;

export interface IntrospectionResult {
  active: boolean;
  sub?: string;
  sid?: string;
  role?: string;
  exp?: number;
  [claim: string]: unknown;
}

/** RFC 7662 client: HTTP Basic with the service's client credentials, form-encoded `token`. */
export class Introspector {
  private readonly authorization: string;
  private readonly cache = new Map<string, { expiresAt: number; result: Promise<IntrospectionResult> }>();

  constructor(
    private readonly endpoint: () => Promise<string>,
    credentials: { clientId: string; clientSecret: string },
  ) {
    // RFC 6749 §2.3.1: each part form-encoded before base64.
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
    this.authorization = `Basic ${Buffer.from(`${encode(credentials.clientId)}:${encode(credentials.clientSecret)}`).toString('base64')}`;
  }

  /** Concurrent calls for one token share a request; failures are not cached. */
  introspect(token: string): Promise<IntrospectionResult> {
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.expiresAt > now) return cached.result;
    if (this.cache.size >= MAX_CACHED) this.prune(now);
    const result = this.request(token);
    const entry = { expiresAt: Infinity, result };
    this.cache.set(token, entry);
    result.then(
      () => (entry.expiresAt = Date.now() + INTROSPECTION_CACHE_MS),
      () => this.cache.get(token) === entry && this.cache.delete(token),
    );
    return result;
  }

  private async request(token: string): Promise<IntrospectionResult> {
    const { body } = await fetchJson(await this.endpoint(), {
      method: 'POST',
      headers: { authorization: this.authorization, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
    });
    const result = body as IntrospectionResult | null;
    if (typeof result?.active !== 'boolean') throw new IssuerUnavailableError('introspection answer has no boolean "active"');
    return result;
  }

  private prune(now: number): void {
    for (const [token, entry] of this.cache) if (entry.expiresAt <= now) this.cache.delete(token);
    // Still full (a burst of distinct tokens within the window): start over rather than grow.
    if (this.cache.size >= MAX_CACHED) this.cache.clear();
  }
}
