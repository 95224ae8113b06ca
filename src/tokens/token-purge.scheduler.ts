import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { TokensService } from './tokens.service';

export const PURGE_INTERVAL_MS = 60 * 60 * 1000;

/** Every hour, deletes ended sessions and expired link tokens so the token tables stay small. */
@Injectable()
export class TokenPurgeScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(TokenPurgeScheduler.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(private readonly tokens: TokensService) {}

  onApplicationBootstrap(): void {
    // unref: the timer alone never keeps a process (or a test run) alive.
    this.timer = setInterval(() => void this.run(), PURGE_INTERVAL_MS).unref();
  }

  /** One purge; a tick that comes while the last one still runs joins it. Never throws. */
  run(): Promise<void> {
    this.running ??= this.tokens
      .purgeExpired()
      .then(({ sessions, oneTimeTokens }) => {
        if (sessions || oneTimeTokens) this.logger.log(`purged ${sessions} sessions and ${oneTimeTokens} link tokens`);
      })
      .catch((error: unknown) => this.logger.error(`purge failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** Stops the timer and lets a running purge finish before the database pool closes. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
