import { Logger } from '@nestjs/common';
import { PURGE_INTERVAL_MS, TokenPurgeScheduler } from './token-purge.scheduler';
import type { TokensService } from './tokens.service';

function scheduler(purgeExpired: () => Promise<{ sessions: number; oneTimeTokens: number }>) {
  const purge = vi.fn(purgeExpired);
  return { purge, scheduler: new TokenPurgeScheduler({ purgeExpired: purge } as unknown as TokensService) };
}

const nothing = async () => ({ sessions: 0, oneTimeTokens: 0 });

describe('TokenPurgeScheduler', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('purges once an hour and stops for good on module destroy', async () => {
    vi.useFakeTimers();
    const { purge, scheduler: s } = scheduler(nothing);
    s.onApplicationBootstrap();
    await vi.advanceTimersByTimeAsync(PURGE_INTERVAL_MS - 1);
    expect(purge).toHaveBeenCalledTimes(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(purge).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(PURGE_INTERVAL_MS);
    expect(purge).toHaveBeenCalledTimes(2);
    await s.onModuleDestroy();
    await vi.advanceTimersByTimeAsync(5 * PURGE_INTERVAL_MS);
    expect(purge).toHaveBeenCalledTimes(2);
  });

  it('never keeps the process alive by its timer', async () => {
    const { scheduler: s } = scheduler(nothing);
    s.onApplicationBootstrap();
    const timer = (s as unknown as { timer: NodeJS.Timeout }).timer;
    expect(timer.hasRef()).toBe(false);
    await s.onModuleDestroy();
    expect((s as unknown as { timer?: NodeJS.Timeout }).timer).toBeUndefined();
  });

  it('logs a failed purge instead of throwing, and tries again next time', async () => {
    const logged = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const { purge, scheduler: s } = scheduler(async () => {
      throw new Error('database down');
    });
    await expect(s.run()).resolves.toBeUndefined();
    await expect(s.run()).resolves.toBeUndefined();
    expect(purge).toHaveBeenCalledTimes(2);
    expect(logged).toHaveBeenCalledWith('purge failed: database down');
  });

  it('joins a purge still running instead of starting a second, and destroy waits for it', async () => {
    const logged = vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    let finish!: () => void;
    const { purge, scheduler: s } = scheduler(() => new Promise((resolve) => (finish = () => resolve({ sessions: 1, oneTimeTokens: 0 }))));
    const first = s.run();
    const second = s.run();
    expect(purge).toHaveBeenCalledTimes(1);
    let destroyed = false;
    const destroy = s.onModuleDestroy().then(() => (destroyed = true));
    await Promise.resolve();
    expect(destroyed).toBe(false);
    finish();
    await Promise.all([first, second, destroy]);
    expect(destroyed).toBe(true);
    expect(logged).toHaveBeenCalledWith('purged 1 sessions and 0 link tokens');
  });
});
