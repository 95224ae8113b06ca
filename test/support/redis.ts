import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

/** The Redis the Redis tests use: TEST_REDIS_URL, else REDIS_URL, else the local default. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const PROBE = `
const { Redis } = require('ioredis');
const redis = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
redis.on('error', () => {});
redis.connect().then(() => redis.ping()).then((reply) => process.exit(reply === 'PONG' ? 0 : 1), () => process.exit(1));`;

/**
 * Whether that Redis answers, decided synchronously (in a child process) so `describe.skipIf`
 * can use it: a developer's fresh machine has no Redis, and those tests then skip.
 */
export const redisAvailable: boolean = (() => {
  try {
    execFileSync(process.execPath, ['-e', PROBE, TEST_REDIS_URL], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
})();

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
