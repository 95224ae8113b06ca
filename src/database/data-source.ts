import type { DataSourceOptions } from 'typeorm';
import { EventRecord } from '../events/event.entity';
import { SigningKeyRecord } from '../keys/signing-key.entity';
import { OneTimeToken } from '../tokens/one-time-token.entity';
import { RefreshToken } from '../tokens/refresh-token.entity';
import { ServiceClient } from '../tokens/service-client.entity';
import { Session } from '../tokens/session.entity';
import { User } from '../users/user.entity';
import { InitialSchema1763700000000 } from './migrations/1763700000000-initial-schema';
import { UserSearchIndexes1795295860811 } from './migrations/1795295860811-user-search-indexes';
import { RefreshSuccessorSealed1796100000000 } from './migrations/1796100000000-refresh-successor-sealed';
import { EventsKeysClients1796200000000 } from './migrations/1796200000000-events-keys-clients';
import { SessionDevices1796400000000 } from './migrations/1796400000000-session-devices';

/** Listed explicitly: globs break under vitest and in the compiled output alike. */
export const ENTITIES = [User, Session, RefreshToken, OneTimeToken, EventRecord, SigningKeyRecord, ServiceClient];
export const MIGRATIONS = [
  InitialSchema1763700000000,
  UserSearchIndexes1795295860811,
  RefreshSuccessorSealed1796100000000,
  EventsKeysClients1796200000000,
  SessionDevices1796400000000,
];

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
    extra: { max: 20, connectionTimeoutMillis: 5000 },
  };
}
