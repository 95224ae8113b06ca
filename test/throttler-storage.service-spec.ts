import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { ThrottlerStorage } from '@nestjs/throttler';
import { Redis } from 'ioredis';
import { MemoryThrottlerStorage } from '../src/rate-limit/memory-throttler-storage';
import { deleteKeysUnder, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './support/redis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let n = 0;
const freshKey = () => `throttle:10.0.0.${++n}`;

/**
 * What the per-address limit relies on, from the storage one instance keeps in memory and from
 * the one several instances share in Redis: both must count the same way, or a deployment would
 * answer differently after adding REDIS_URL.
 */
function behavesLikeTheLimit(storage: () => ThrottlerStorage) {
  it('counts hits in a window and blocks the one past the limit, for the block duration', async () => {
    const key = freshKey();
    const hits = [];
    for (let i = 0; i < 4; i++) hits.push(await storage().increment(key, 60_000, 3, 30_000, 'default'));
    expect(hits.map((h) => [h.totalHits, h.isBlocked])).toEqual([
      [1, false],
      [2, false],
      [3, false],
      [4, true],
    ]);
    expect(hits[0].timeToExpire).toBe(60);
    expect(hits[0].timeToBlockExpire).toBe(0);
    expect(hits[3].timeToBlockExpire).toBe(30);
  });

  it('ends a window at a fixed time: later hits do not extend it', async () => {
    const key = freshKey();
    await storage().increment(key, 1000, 5, 1000, 'default');
    await sleep(600);
    expect((await storage().increment(key, 1000, 5, 1000, 'default')).totalHits).toBe(2);
    await sleep(500);
    const fresh = await storage().increment(key, 1000, 5, 1000, 'default');
    expect(fresh.totalHits).toBe(1);
    expect(fresh.isBlocked).toBe(false);
  });

  it('stays blocked past the end of the window until the block ends, then counts afresh', async () => {
    const key = freshKey();
    for (let i = 0; i < 2; i++) await storage().increment(key, 500, 1, 1500, 'default');
    await sleep(700);
    const stillBlocked = await storage().increment(key, 500, 1, 1500, 'default');
    expect(stillBlocked.isBlocked).toBe(true);
    expect(stillBlocked.timeToBlockExpire).toBe(1);
    await sleep(1000);
    const after = await storage().increment(key, 500, 1, 1500, 'default');
    expect(after.isBlocked).toBe(false);
    expect(after.totalHits).toBe(1);
  });

  it('counts every one of many concurrent hits exactly once, per key and per throttler', async () => {
    const [a, b] = [freshKey(), freshKey()];
    const results = await Promise.all(Array.from({ length: 40 }, () => storage().increment(a, 60_000, 1000, 60_000, 'default')));
    expect(results.map((r) => r.totalHits).sort((x, y) => x - y)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect((await storage().increment(b, 60_000, 1000, 60_000, 'default')).totalHits).toBe(1);
    expect((await storage().increment(a, 60_000, 1000, 60_000, 'other')).totalHits).toBe(1);
  });
}

describe('MemoryThrottlerStorage', () => {
  const memory = new MemoryThrottlerStorage();
  behavesLikeTheLimit(() => memory);

  it('keeps one small entry per key however many hits it counts', async () => {
    const key = freshKey();
    for (let i = 0; i < 50_000; i++) await memory.increment(key, 60_000, 1_000_000, 60_000, 'default');
    const entries = (memory as unknown as { entries: Map<string, unknown> }).entries;
    expect(entries.get(`${key}:default`)).toEqual({ hits: 50_000, expiresAt: expect.any(Number), blockedUntil: 0 });
  });
});

describe.skipIf(!redisAvailable)('ThrottlerStorageRedisService (the shared limit)', () => {
  const prefix = uniqueRedisPrefix('throttler');
  let redis: Redis;
  let storage: ThrottlerStorageRedisService;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
    storage = new ThrottlerStorageRedisService(redis);
  });
  afterAll(async () => {
    await deleteKeysUnder(prefix);
    await redis.quit();
  });

  behavesLikeTheLimit(() => storage);
});
