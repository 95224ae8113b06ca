import type { ThrottlerStorage } from '@nestjs/throttler';

type ThrottlerStorageRecord = Awaited<ReturnType<ThrottlerStorage['increment']>>;

interface Entry {
  hits: number;
  expiresAt: number;
  blockedUntil: number;
}

/**
 * The per-address limit of one instance: a fixed window per key, counted the way the Redis storage
 * (@nest-lab/throttler-storage-redis) counts for several instances, so both answer alike. The
 * throttler's own memory storage keeps one timestamp per hit and filters them all on every
 * request: at a high RATE_LIMIT_PER_MINUTE that was 9 % of refresh's main thread (issue 12).
 * O(1) per request; expired keys are swept when the map grows, never on the request path otherwise.
 */
export class MemoryThrottlerStorage implements ThrottlerStorage {
  private readonly entries = new Map<string, Entry>();

  async increment(key: string, ttl: number, limit: number, blockDuration: number, throttlerName: string): Promise<ThrottlerStorageRecord> {
    const now = Date.now();
    const id = `${key}:${throttlerName}`;
    let entry = this.entries.get(id);
    if (!entry || (entry.expiresAt <= now && entry.blockedUntil <= now)) {
      if (!entry && this.entries.size >= 100_000) this.sweep(now);
      entry = { hits: 0, expiresAt: now + ttl, blockedUntil: 0 };
      this.entries.set(id, entry);
    } else if (entry.expiresAt <= now) {
      entry.hits = 0;
      entry.expiresAt = now + ttl;
    }
    entry.hits += 1;
    if (entry.blockedUntil <= now && entry.hits > limit) entry.blockedUntil = now + blockDuration;
    const isBlocked = entry.blockedUntil > now;
    return {
      totalHits: entry.hits,
      timeToExpire: Math.ceil((entry.expiresAt - now) / 1000),
      isBlocked,
      timeToBlockExpire: isBlocked ? Math.ceil((entry.blockedUntil - now) / 1000) : 0,
    };
  }

  private sweep(now: number): void {
    for (const [id, entry] of this.entries) if (entry.expiresAt <= now && entry.blockedUntil <= now) this.entries.delete(id);
  }
}
