import 'reflect-metadata';
import { Test, type TestingModule } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
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
    newUserId: async () => (await users.create({ name: 'Service Spec', email: uniqueEmail('svc'), passwordHash: 'not-a-hash', isActive: true })).id,
    close: () => module.close(),
  };
}
