import type { Socket } from 'node:net';
import { Client, type Pool } from 'pg';
import { DataSource, type DataSourceOptions, type Migration } from 'typeorm';
import { EventRecord } from '../events/event.entity';
import { SigningKeyRecord } from '../keys/signing-key.entity';
import { OneTimeToken } from '../tokens/one-time-token.entity';
import { ServiceClient } from '../tokens/service-client.entity';
import { Session } from '../tokens/session.entity';
import { User } from '../users/user.entity';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema';
import { UserSearchIndexes1795295860811 } from './migrations/1795295860811-user-search-indexes';
import { MailOutbox1796000000000 } from './migrations/1796000000000-mail-outbox';
import { RefreshSuccessorSealed1796100000000 } from './migrations/1796100000000-refresh-successor-sealed';
import { EventsKeysClients1796200000000 } from './migrations/1796200000000-events-keys-clients';
import { SessionDevices1796400000000 } from './migrations/1796400000000-session-devices';
import { UserCount1796500000000 } from './migrations/1796500000000-user-count';
import { RotationByInsert1796600000000 } from './migrations/1796600000000-rotation-by-insert';
import { RotationInSessionRow1796700000000 } from './migrations/1796700000000-rotation-in-session-row';

/** Listed explicitly: globs break under vitest and in the compiled output alike. */
export const ENTITIES = [User, Session, OneTimeToken, EventRecord, SigningKeyRecord, ServiceClient];
export const MIGRATIONS = [
  InitialSchema1763700000000,
  UserSearchIndexes1795295860811,
  MailOutbox1796000000000,
  RefreshSuccessorSealed1796100000000,
  EventsKeysClients1796200000000,
  SessionDevices1796400000000,
  UserCount1796500000000,
  RotationByInsert1796600000000,
  RotationInSessionRow1796700000000,
];

/** How long a connection with a query out may hear nothing from the server before it is given up. */
export const QUERY_SILENCE_MS = 1800;

/**
 * The pg client of the pool. It never crashes the process: pg-pool listens for errors only on
 * idle clients, and a query only while it runs, so a checked-out client between two queries that
 * hears the server go away ("terminating connection due to administrator command") would emit an
 * unhandled 'error'. Its next query fails anyway, with an error the filter turns into a 503, and
 * the pool then drops it (it is no longer queryable).
 *
 * It also gives up on a server that stops answering: once connected, its socket's inactivity
 * timer runs, and when QUERY_SILENCE_MS pass with nothing read or written while a query is out
 * (the client not ready for the next), the connection is destroyed with "Query read timeout":
 * that query and any queued behind it fail at once (a 503) and the pool drops the client. pg's own
 * `query_timeout` does this per query, with a timer and two closures for each: under 50 refresh
 * chains ~0.3 MiB of request objects went on to the old generation per scavenge, with four full
 * collections in 8 s against one with this watch, and a refresh took 3-5 % more server CPU (two
 * sets of 5 alternating rounds, issue 12). The socket's timer is one per connection, which Node.js
 * refreshes on every read and write. (`readyForQuery` and `connection.stream` are pg's own fields;
 * test/pool-silence.service-spec.ts fails if either stops meaning this.)
 */
class ListenedClient extends Client {
  constructor(...args: ConstructorParameters<typeof Client>) {
    super(...args);
    this.on('error', () => undefined);
    this.once('connect', () => this.watchForSilence());
  }

  private watchForSilence(): void {
    const pg = this as unknown as { connection: { stream: Socket }; readyForQuery: boolean };
    const socket = pg.connection.stream;
    socket.setTimeout(QUERY_SILENCE_MS);
    socket.on('timeout', () => {
      if (!pg.readyForQuery) socket.destroy(new Error('Query read timeout'));
    });
  }
}

/**
 * The pg Pool TypeORM's PostgresDriver keeps (the same connections, deadlines and error listeners
 * as every TypeORM query), for the raw named statements of the hot paths and the pool metrics.
 */
export function driverPool(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/**
 * Every route answers within 5 s while PostgreSQL is away or hung (API.md): waiting for a pooled
 * connection or opening one gives up after 2 s (an exhausted pool included); a query is cancelled
 * by the server after 1.5 s (`statement_timeout`) and abandoned by the client after 1.8 s when the
 * server does not answer at all (ListenedClient's silence watch). A request makes at most one
 * waiting query before it fails, and a transaction adds its ROLLBACK: 3.6 s at worst. Ten
 * connections, as the perf baseline has: with 20, 50 refresh chains made 2,175 against 2,264
 * refreshes a second, with 216 against 196 µs of PostgreSQL's CPU each (4 alternating rounds,
 * issue 12); a two-core PostgreSQL does no more at once.
 */
export const DATABASE_POOL = {
  Client: ListenedClient,
  max: 10,
  connectionTimeoutMillis: 2000,
  statement_timeout: 1500,
  idleTimeoutMillis: 30_000,
  keepAlive: true,
};

export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    // The migrations own the schema (ids default to the built-in gen_random_uuid()); TypeORM need
    // not try CREATE EXTENSION "uuid-ossp" at every start, which needs rights a managed database may not give.
    installExtensions: false,
    extra: DATABASE_POOL,
  };
}

/**
 * For migrations and command-line tasks: no request deadline, since a migration on a large
 * table may rightly take longer than the 2 s a request may wait.
 */
export function migrationDataSourceOptions(url: string): DataSourceOptions {
  return { ...dataSourceOptions(url), extra: { max: 2, connectionTimeoutMillis: 10_000 } };
}

/** Applies pending migrations on a connection of their own (all in one transaction), then closes it. */
export async function runPendingMigrations(url: string): Promise<Migration[]> {
  const dataSource = await new DataSource(migrationDataSourceOptions(url)).initialize();
  try {
    return await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await dataSource.destroy();
  }
}
