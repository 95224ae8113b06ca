import type { Redis } from 'ioredis';
import type { WindowCounter } from './login-failures';

// INCR, then set the expiry only when the key has none (EXPIRE NX semantics, also on Redis < 7),
// in one script so a crash between the two can never leave a counter that lives forever.
const INCREMENT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }`;

const READ = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
return { count, ttl }`;

/** The fixed-window counter of LoginFailures, shared by every instance that uses this Redis. */
export class RedisWindowCounter implements WindowCounter {
  constructor(private readonly redis: Redis) {}

  async increment(key: string, windowSeconds: number) {
    const reply = await this.redis.eval(INCREMENT, 1, key, String(windowSeconds * 1000));
    return this.toResult(reply);
  }

  async get(key: string) {
    return this.toResult(await this.redis.eval(READ, 1, key));
  }

  async delete(key: string) {
    await this.redis.del(key);
  }

  private toResult(reply: unknown): { count: number; secondsLeft: number } {
    const [count, ttlMs] = reply as [number, number];
    if (!count || ttlMs < 0) return { count: 0, secondsLeft: 0 };
    return { count, secondsLeft: Math.ceil(ttlMs / 1000) };
  }
}
