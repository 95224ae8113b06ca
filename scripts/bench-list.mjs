// Latency of the admin user list (GET /api/users) over real HTTP with many users: page 1, a deep
// page, and searches by name and email fragments. Figures, not assertions.
//
//   npm run bench:list                 seeds 100 000 users into a fresh embedded PostgreSQL
//   npm run bench:list -- --explain    also prints EXPLAIN (ANALYZE, BUFFERS) of the exact SQL
//
// DATABASE_URL benchmarks that database instead (seeded users are added under *.seed.test);
// BENCH_DATA_DIR keeps and reuses an embedded one. BENCH_USERS (100000), BENCH_SECONDS (5),
// BENCH_CONNECTIONS (10) and BENCH_PORT (3902) tune the run. The server is the compiled one
// (dist), in a child process, so the load generator does not share its event loop.
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startBenchServer } from './bench-server.mjs';
import pg from 'pg';
import { SEED_PASSWORD, seedUsers, withUsersService } from './seed-users.mjs';

const require = createRequire(import.meta.url);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3902);
const EXPLAIN = process.argv.includes('--explain');
const ADMIN_EMAIL = 'bench.admin@bench.seed.test';
const base = `http://127.0.0.1:${PORT}`;

const keepDir = process.env.BENCH_DATA_DIR;
const dataDir = keepDir ? path.resolve(keepDir) : mkdtempSync(path.join(tmpdir(), 'alat-berat-bench-list-'));
const appDir = mkdtempSync(path.join(tmpdir(), 'alat-berat-bench-app-'));

const { startEmbeddedPostgres } = require('../dist/src/database/embedded-postgres.js');
const database = process.env.DATABASE_URL
  ? { url: process.env.DATABASE_URL, stop: async () => undefined }
  : await startEmbeddedPostgres(dataDir, (line) => console.error(line));

let server;
try {
  await seedUsers(database.url, USERS);
  await makeAdmin(database.url);
  const total = await countUsers(database.url);
  const deepPage = Math.max(1, Math.floor((total * 0.8) / 20));
  const queries = [
    ['page 1', '/api/users?page=1&limit=20'],
    [`deep page ${deepPage} (offset ${(deepPage - 1) * 20})`, `/api/users?page=${deepPage}&limit=20`],
    ['search name "wijaya"', '/api/users?search=wijaya'],
    ['search email "budi.santoso1"', '/api/users?search=budi.santoso1'],
    ['search email "santoso12345"', '/api/users?search=santoso12345'],
    ['search common "kantor"', '/api/users?search=kantor'],
    ['search short "an" (no trigram)', '/api/users?search=an'],
  ];
  if (EXPLAIN) await explain(database.url, queries);

  server = await startBenchServer(PORT, { DATABASE_URL: database.url, DATA_DIR: appDir });
  const login = await fetch(`${base}/api/users/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: ADMIN_EMAIL, password: SEED_PASSWORD }),
  }).then((res) => res.json());
  const headers = { authorization: `Bearer ${login.access_token}` };

  console.log(`\n${total} users; ${SECONDS} s per run; latency in ms\n`);
  console.log(
    `${'query'.padEnd(36)} ${'matches'.padStart(7)} | ${'1 conn p50'.padStart(10)} ${'p99'.padStart(6)} | ${`${CONNECTIONS} conn p50`.padStart(11)} ${'p99'.padStart(6)} ${'req/s'.padStart(7)}`,
  );
  for (const [label, url] of queries) {
    const first = await fetch(`${base}${url}`, { headers }).then((res) => res.json());
    if (!first.meta) throw new Error(`${url}: ${JSON.stringify(first)}`);
    const single = await run(url, headers, 1);
    const loaded = await run(url, headers, CONNECTIONS);
    console.log(
      `${label.padEnd(36)} ${String(first.meta.total).padStart(7)} | ${fmt(single.latency.p50, 10)} ${fmt(single.latency.p99, 6)} | ${fmt(loaded.latency.p50, 11)} ${fmt(loaded.latency.p99, 6)} ${fmt(loaded.requests.average, 7, 0)}`,
    );
  }
} finally {
  await server?.stop();
  await database.stop();
  if (!keepDir && !process.env.DATABASE_URL) rmSync(dataDir, { recursive: true, force: true });
  rmSync(appDir, { recursive: true, force: true });
}

function fmt(value, width, digits = 1) {
  return Number(value).toFixed(digits).padStart(width);
}

async function run(url, headers, connections) {
  const result = await autocannon({ url: `${base}${url}`, headers, connections, duration: SECONDS });
  if (result.non2xx || result.errors) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

/** The one way admins are made (as `npm run user:admin` does); an existing one gets the password again. */
async function makeAdmin(url) {
  await withUsersService(url, (users) => users.promoteOrCreateAdmin(ADMIN_EMAIL, 'Bench Admin', SEED_PASSWORD));
}

async function countUsers(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query('SELECT count(*)::int AS n FROM users')).rows[0].n;
  } finally {
    await client.end();
  }
}

/** Runs the repository's own list() with a recording logger, then EXPLAINs exactly what it sent. */
async function explain(url, queries) {
  const { DataSource } = require('typeorm');
  const { dataSourceOptions } = require('../dist/src/database/data-source.js');
  const { UsersRepository } = require('../dist/src/users/users.repository.js');
  const { User } = require('../dist/src/users/user.entity.js');
  const recorded = [];
  const logger = {
    logQuery: (sql, parameters) => recorded.push({ sql, parameters: parameters ?? [] }),
    logQueryError: () => undefined,
    logQuerySlow: () => undefined,
    logSchemaBuild: () => undefined,
    logMigration: () => undefined,
    log: () => undefined,
  };
  const dataSource = await new DataSource({ ...dataSourceOptions(url), logging: ['query'], logger }).initialize();
  try {
    const repository = new UsersRepository(dataSource.getRepository(User));
    for (const [label, route] of queries) {
      const params = new URL(route, base).searchParams;
      recorded.length = 0;
      await repository.list({
        page: Number(params.get('page') ?? 1),
        limit: Number(params.get('limit') ?? 20),
        search: params.get('search') ?? undefined,
      });
      for (const { sql, parameters } of [...recorded]) {
        const rows = await dataSource.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, parameters);
        console.log(
          `\n=== ${label}: ${sql.startsWith('SELECT COUNT') ? 'count' : 'rows'}\n${rows.map((row) => row['QUERY PLAN']).join('\n')}`,
        );
      }
    }
  } finally {
    await dataSource.destroy();
  }
}
