import type { KeyObject } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { decodeProtectedHeader } from 'jose';
import { LRUCache } from 'lru-cache';
import { KeysService } from '../keys/keys.service';

/** Access tokens held at once; a client past it is verified in full again (about 10 MiB at most). */
const MAX_TOKENS = 10_000;

interface Verified {
  claims: Record<string, unknown>;
  kid: string;
  key: KeyObject;
  expiresAt: number;
}

/**
 * Access tokens whose signature, algorithm, issuer and audience were checked, so the next request
 * with the same token skips the ES256 verification (70-100 µs of the main thread, the largest cost
 * of /me after the database: issue 12). Only a byte-identical token hits; an entry dies at the
 * token's `exp` (the moment jsonwebtoken would call it expired) and as soon as the key that
 * verified it is no longer the one held for its kid: revoked, expired, or merely reread (every
 * 30 s), so a revoked key stops working here exactly when it stops in a full verification. The
 * session is still checked in the database on every request: logout ends access at once.
 */
@Injectable()
export class VerifiedTokens {
  private readonly cache = new LRUCache<string, Verified>({ max: MAX_TOKENS });

  constructor(private readonly keys: KeysService) {}

  /** The claims of a token verified before, still valid under the key that verified it. */
  get(token: string): Record<string, unknown> | undefined {
    const entry = this.cache.get(token);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now() || this.keys.currentKey(entry.kid) !== entry.key) {
      this.cache.delete(token);
      return undefined;
    }
    return entry.claims;
  }

  /** Remembers a token the full verification has just accepted. */
  remember(token: string, claims: Record<string, unknown>): void {
    if (typeof claims.exp !== 'number') return;
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return;
    }
    if (typeof kid !== 'string') return;
    const key = this.keys.currentKey(kid);
    if (!key) return;
    this.cache.set(token, { claims, kid, key, expiresAt: claims.exp * 1000 });
  }
}
