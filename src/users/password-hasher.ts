import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';

/** bcrypt's limit: registration refuses longer passwords, verification never matches them. */
export const MAX_PASSWORD_BYTES = 72;

/** bcrypt in a worker-thread pool, so a burst of logins does not stall every other request. */
@Injectable()
export class PasswordHasher implements OnApplicationShutdown {
  private readonly pool: Piscina;
  private readonly cost: number;
  /** Compared against when the account does not exist, so both failures take the same time. */
  private dummyHash?: Promise<string>;

  constructor(@InjectConfig() config: AppConfig) {
    this.cost = config.auth.bcryptCost;
    // One thread per core: bcrypt is CPU-bound, so more threads only queue inside the OS instead
    // of in piscina. None at start (a thread costs ~10 MiB and start-up time): they start with the
    // first hash (~30 ms once) and stop after a minute idle.
    this.pool = new Piscina({
      filename: path.join(__dirname, 'password.worker.cjs'),
      minThreads: 0,
      maxThreads: Math.max(1, availableParallelism()),
      idleTimeout: 60_000,
    });
  }

  hash(password: string): Promise<string> {
    return this.pool.run({ password, cost: this.cost }, { name: 'hash' });
  }

  /**
   * bcrypt reads only the first 72 bytes, so a longer password would match by its prefix: it
   * never matches here (after a comparison of the same cost, so the answer takes the same time).
   */
  async verify(password: string, hash: string): Promise<boolean> {
    if (Buffer.byteLength(password, 'utf8') > MAX_PASSWORD_BYTES) {
      await this.pool.run({ password: '', hash }, { name: 'verify' });
      return false;
    }
    return this.pool.run({ password, hash }, { name: 'verify' });
  }

  /** Spends the time of a real comparison and always answers false. */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('dummy password for timing');
    await this.verify(password, await this.dummyHash);
    return false;
  }

  /**
   * The last hook of app.close(), after the HTTP server has drained (main.ts): a login still
   * waiting for its hash is never cut off.
   */
  async onApplicationShutdown(): Promise<void> {
    await this.destroy();
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}
