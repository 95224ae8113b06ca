import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Piscina } from 'piscina';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';

/** bcrypt in a worker-thread pool, so a burst of logins does not stall every other request. */
@Injectable()
export class PasswordHasher implements OnModuleDestroy {
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

  verify(password: string, hash: string): Promise<boolean> {
    return this.pool.run({ password, hash }, { name: 'verify' });
  }

  /** Spends the time of a real comparison and always answers false. */
  async verifyAgainstNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('dummy password for timing');
    await this.verify(password, await this.dummyHash);
    return false;
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }
}
