import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { TooManyRequestsError } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';

/** A counter with a fixed window per key: in memory for one instance, Redis for several. */
export interface WindowCounter {
  /** Adds one; returns the count and the seconds left in the window. */
  increment(key: string, windowSeconds: number): Promise<{ count: number; secondsLeft: number }>;
  get(key: string): Promise<{ count: number; secondsLeft: number }>;
  delete(key: string): Promise<void>;
}

export const WINDOW_COUNTER = Symbol('WINDOW_COUNTER');

export class MemoryWindowCounter implements WindowCounter {
  private readonly entries = new Map<string, { count: number; expiresAt: number }>();

  async increment(key: string, windowSeconds: number) {
    const now = Date.now();
    let entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now) {
      if (this.entries.size > 100_000) this.prune(now);
      entry = { count: 0, expiresAt: now + windowSeconds * 1000 };
      this.entries.set(key, entry);
    }
    entry.count += 1;
    return { count: entry.count, secondsLeft: Math.ceil((entry.expiresAt - now) / 1000) };
  }

  async get(key: string) {
    const now = Date.now();
    const entry = this.entries.get(key);
    if (!entry || entry.expiresAt <= now) return { count: 0, secondsLeft: 0 };
    return { count: entry.count, secondsLeft: Math.ceil((entry.expiresAt - now) / 1000) };
  }

  async delete(key: string) {
    this.entries.delete(key);
  }

  private prune(now: number) {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/**
 * Failed logins per account (by the email typed, whether or not it exists, so the limit reveals
 * nothing). Past LOGIN_FAILURES_LIMIT in 15 minutes, that account's logins get 429 from any address.
 *
 * Every attempt is counted atomically before the password is checked and the count is cleared on
 * success, so parallel guesses cannot overshoot the limit by racing a read-then-write.
 */
@Injectable()
export class LoginFailures {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @Inject(WINDOW_COUNTER) private readonly counter: WindowCounter,
  ) {}

  /**
   * `email` comes normalised (users/email.ts). Hashed: the counter store (Redis, perhaps shared)
   * never holds the addresses people typed.
   */
  private key(email: string) {
    return `login-failures:${createHash('sha256').update(email).digest('base64url')}`;
  }

  /** Counts this attempt; throws 429 when it is past the limit. */
  async begin(email: string): Promise<void> {
    const limit = this.config.rateLimit.loginFailuresLimit;
    if (limit === 0) return;
    const { count, secondsLeft } = await this.counter.increment(this.key(email), this.config.rateLimit.loginFailuresWindow);
    if (count > limit) throw new TooManyRequestsError(secondsLeft, 'too_many_login_failures');
  }

  /** The right password, or a completed reset: the attempts so far no longer count. */
  async clear(email: string): Promise<void> {
    if (this.config.rateLimit.loginFailuresLimit === 0) return;
    await this.counter.delete(this.key(email));
  }
}
