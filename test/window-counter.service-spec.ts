import { Redis } from 'ioredis';
import { deleteKeysUnder, redisAvailable, TEST_REDIS_URL, uniqueRedisPrefix } from './support/redis';
import { MemoryWindowCounter, type WindowCounter } from '../src/rate-limit/login-failures';
import { RedisWindowCounter } from '../src/rate-limit/redis-window-counter';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
let n = 0;
const freshKey = () => `login-failures:k${++n}@example.com`;

/** What LoginFailures relies on, whichever store is behind it. */
function behavesLikeAWindowCounter(counter: () => WindowCounter) {
  it('counts up within a window and reports the seconds left', async () => {
    const key = freshKey();
    expect(await counter().get(key)).toEqual({ count: 0, secondsLeft: 0 });
    expect(await counter().increment(key, 900)).toEqual({ count: 1, secondsLeft: 900 });
    const second = await counter().increment(key, 900);
    expect(second.count).toBe(2);
    expect(second.secondsLeft).toBeGreaterThan(895);
    expect(second.secondsLeft).toBeLessThanOrEqual(900);
    expect((await counter().get(key)).count).toBe(2);
  });

  it('ends the window at a fixed time: later increments do not extend it', async () => {
    const key = freshKey();
    await counter().increment(key, 1);
    await sleep(600);
    expect((await counter().increment(key, 1)).count).toBe(2);
    await sleep(500);
    // 1.1 s after the first increment: gone, although the second was only 0.5 s ago.
    expect(await counter().get(key)).toEqual({ count: 0, secondsLeft: 0 });
    expect((await counter().increment(key, 1)).count).toBe(1);
  });

  it('counts every one of many concurrent increments exactly once', async () => {
    const key = freshKey();
    const results = await Promise.all(Array.from({ length: 50 }, () => counter().increment(key, 60)));
    expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect((await counter().get(key)).count).toBe(50);
  });

  it('forgets a key on delete, and keys are independent', async () => {
    const [a, b] = [freshKey(), freshKey()];
    await counter().increment(a, 60);
    await counter().increment(b, 60);
    await counter().delete(a);
    expect((await counter().get(a)).count).toBe(0);
    expect((await counter().get(b)).count).toBe(1);
  });
}

describe('MemoryWindowCounter', () => {
  const memory = new MemoryWindowCounter();
  behavesLikeAWindowCounter(() => memory);
});

describe.skipIf(!redisAvailable)('RedisWindowCounter', () => {
  const prefix = uniqueRedisPrefix('window-counter');
  let redis: Redis;
  let counter: RedisWindowCounter;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { keyPrefix: prefix });
    counter = new RedisWindowCounter(redis);
  });
  afterAll(async () => {
    await deleteKeysUnder(prefix);
    await redis.quit();
  });

  behavesLikeAWindowCounter(() => counter);

  it('gives a counter that somehow has no expiry one (EXPIRE NX semantics), so it never lives forever', async () => {
    const key = freshKey();
    await redis.set(key, '5');
    expect(await redis.pttl(key)).toBe(-1);
    expect(await counter.increment(key, 60)).toEqual({ count: 6, secondsLeft: 60 });
    expect(await redis.pttl(key)).toBeGreaterThan(59_000);
  });

  it('keeps the first window when a later increment asks for a longer one', async () => {
    const key = freshKey();
    await counter.increment(key, 10);
    expect((await counter.increment(key, 1000)).secondsLeft).toBeLessThanOrEqual(10);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(10_000);
  });

  it('stores its keys under the configured prefix', async () => {
    const key = freshKey();
    await counter.increment(key, 60);
    const raw = new Redis(TEST_REDIS_URL);
    try {
      expect(await raw.get(`${prefix}${key}`)).toBe('1');
      expect(await raw.exists(key)).toBe(0);
    } finally {
      await raw.quit();
    }
  });
});
