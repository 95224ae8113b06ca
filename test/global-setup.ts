import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { probeRedis } from './support/redis-probe';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    /** Whether TEST_REDIS_URL answers: asked once here, read by test/support/redis.ts. */
    redisAvailable: boolean;
  }
}

/**
 * Real PostgreSQL for the whole run. With DATABASE_URL set, a scratch database is created on
 * that server (and dropped after); otherwise an embedded server runs in a temporary directory.
 */
export default async function setup(project: TestProject) {
  project.provide('redisAvailable', await probeRedis());
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `alat_berat_test_${randomBytes(4).toString('hex')}`;
    const admin = new Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    project.provide('databaseUrl', url.toString());
    return async () => {
      const client = new Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'alat-berat-test-'));
  const database = await startEmbeddedPostgres(dir);
  project.provide('databaseUrl', database.url);
  return async () => {
    await database.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
