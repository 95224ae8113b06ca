import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';
import { probeRedisSync, TEST_REDIS_URL } from './redis-probe';

export { TEST_REDIS_URL } from './redis-probe';

/**
 * Whether that Redis answers, known when the file is collected so `describe.skipIf` can use it: a
 * developer's fresh machine has no Redis, and those tests then skip. The global setup asks once
 * per run; a file run some other way asks itself.
 */
export const redisAvailable: boolean = inject('redisAvailable') ?? probeRedisSync();

/** A key prefix of this run alone, so tests never see (or delete) anyone else's keys. */
export function uniqueRedisPrefix(tag: string): string {
  return `alat-berat-test:${tag}:${Date.now().toString(36)}${randomBytes(3).toString('hex')}:`;
}

/** Every key under `prefix`, with its remaining lifetime in ms (-1: none). */
export async function keysUnder(prefix: string): Promise<Map<string, number>> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    const ttls = await Promise.all(keys.map((key) => redis.pttl(key)));
    return new Map(keys.map((key, i) => [key, ttls[i]]));
  } finally {
    await redis.quit();
  }
}

/** Deletes this run's keys only (never FLUSHALL a Redis others may share). */
export async function deleteKeysUnder(prefix: string): Promise<void> {
  const keys = [...(await keysUnder(prefix)).keys()];
  if (!keys.length) return;
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
