import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';

/** The Redis the Redis tests use: TEST_REDIS_URL, else REDIS_URL, else the local default. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const OPTIONS = { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null };

/** Whether that Redis answers PING. The run asks once (test/global-setup.ts) and hands the answer to every file. */
export async function probeRedis(url = TEST_REDIS_URL): Promise<boolean> {
  const redis = new Redis(url, OPTIONS);
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return (await redis.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    redis.disconnect();
  }
}

const PROBE = `
const { Redis } = require('ioredis');
const redis = new Redis(process.argv[1], { lazyConnect: true, connectTimeout: 1000, maxRetriesPerRequest: 0, retryStrategy: () => null });
redis.on('error', () => {});
redis.connect().then(() => redis.ping()).then((reply) => process.exit(reply === 'PONG' ? 0 : 1), () => process.exit(1));`;

/** The same question answered synchronously (in a child process), for a file run without the global setup. */
export function probeRedisSync(url = TEST_REDIS_URL): boolean {
  try {
    execFileSync(process.execPath, ['-e', PROBE, url], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}
