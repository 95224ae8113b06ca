import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { inject } from 'vitest';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { ConfigModule } from '../../src/config/config.module';
import { dataSourceOptions } from '../../src/database/data-source';
import { TokensModule } from '../../src/tokens/tokens.module';
import { TokensService } from '../../src/tokens/tokens.service';
import { UsersModule } from '../../src/users/users.module';
import { UsersService } from '../../src/users/users.service';
import { uniqueEmail } from './fixtures';

/** The real services and repositories on the run's PostgreSQL, with no HTTP in front of them. */
export interface TestServices {
  module: TestingModule;
  config: AppConfig;
  dataSource: DataSource;
  users: UsersService;
  tokens: TokensService;
  /** A plain active customer row (no real password hash), for the tokens tables' foreign keys. */
  newUserId(): Promise<string>;
  close(): Promise<void>;
}

/**
 * For service-level specs (`test/*.service-spec.ts`): UsersModule and TokensModule wired as the app
 * wires them, TypeORM on the run's database with the migrations applied. `env` overrides settings.
 */
export async function startServices(env: Record<string, string> = {}): Promise<TestServices> {
  const config = loadConfig({ NODE_ENV: 'test', BCRYPT_COST: '4', LOG_LEVEL: 'error', ...env });
  const module = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      TypeOrmModule.forRoot({ ...dataSourceOptions(config.database.url ?? inject('databaseUrl')), migrationsRun: true }),
      UsersModule,
      TokensModule,
    ],
  }).compile();
  await module.init();
  const users = module.get(UsersService);
  return {
    module,
    config,
    dataSource: module.get(DataSource),
    users,
    tokens: module.get(TokensService),
    newUserId: async () =>
      (await users.create({ name: 'Service Spec', email: uniqueEmail('svc'), passwordHash: 'not-a-hash', isActive: true })).id,
    close: () => module.close(),
  };
}

/** A transaction under way, and the PostgreSQL backend running it (known once it has begun). */
export interface RunningTransaction<T> {
  pid: Promise<number>;
  result: Promise<T>;
}

/** Starts `work` in a transaction of its own; `pid` tells which backend runs it, so others can watch it wait. */
export function inTransaction<T>(dataSource: DataSource, work: (manager: EntityManager) => Promise<T>): RunningTransaction<T> {
  let started!: (pid: number) => void;
  const pid = new Promise<number>((resolve) => (started = resolve));
  const result = dataSource.transaction(async (manager) => {
    const [{ pid: backend }] = await manager.query('SELECT pg_backend_pid() AS pid');
    started(backend);
    return work(manager);
  });
  // A transaction that fails before it began would otherwise leave `pid` pending forever.
  result.catch(() => started(-1));
  return { pid, result };
}

/**
 * Resolves with 'blocked' once that transaction waits for a row lock (seen in pg_stat_activity),
 * or 'finished' once it has ended without waiting: what a test holding a lock needs to know
 * before it lets go. Polls; gives up after `timeoutMs`.
 */
export async function blockedOrFinished(
  dataSource: DataSource,
  other: RunningTransaction<unknown>,
  timeoutMs = 10_000,
): Promise<'blocked' | 'finished'> {
  let finished = false;
  other.result.then(
    () => (finished = true),
    () => (finished = true),
  );
  const pid = await other.pid;
  return pollFor(
    async () => {
      if (finished) return 'finished' as const;
      const [row] = await dataSource.query(`SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1`, [pid]);
      return row?.wait_event_type === 'Lock' ? ('blocked' as const) : undefined;
    },
    timeoutMs,
    `transaction of backend ${pid} neither waited for a lock nor finished within ${timeoutMs} ms`,
  );
}

/**
 * Resolves once `count` backends of this database run a statement containing `fragment` and wait
 * for a lock: a test holding a row lock knows the statements it started have all queued on it.
 */
export async function lockWaiters(dataSource: DataSource, fragment: string, count: number, timeoutMs = 10_000): Promise<void> {
  await pollFor(
    async () => {
      const [row] = await dataSource.query(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND position($1 in query) > 0`,
        [fragment],
      );
      return row.waiting >= count ? true : undefined;
    },
    timeoutMs,
    `fewer than ${count} statements with "${fragment}" waited for a lock within ${timeoutMs} ms`,
  );
}

/** Asks `probe` every 5 ms until it answers (anything but undefined); fails with `failure` after `timeoutMs`. */
async function pollFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, failure: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const answer = await probe();
    if (answer !== undefined) return answer;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(failure);
}
