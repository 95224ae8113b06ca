// Seeds many users in one statement (INSERT … SELECT over generate_series: no round trip per row),
// for measuring the admin list (npm run bench:list) and reading its query plans.
//
//   npm run seed:users -- [count] [--reset]
//
// Into DATABASE_URL when set, else the embedded PostgreSQL under DATA_DIR (default .data). Tops
// up to `count` seeded users (default 100 000); --reset deletes the seeded ones first. Seeded
// users are active customers with addresses under *.seed.test and the password "rahasia123".
import 'reflect-metadata';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import pg from 'pg';

const require = createRequire(import.meta.url);
const { DataSource } = require('typeorm');

export const SEED_PASSWORD = 'rahasia123';
export const SEED_DOMAIN_SUFFIX = '.seed.test';

/**
 * The compiled users/ module (service, repository, bcrypt pool) on that database: scripts make
 * users the way the service does, so nothing outside src/users hashes a password.
 */
export async function withUsersService(url, work) {
  const { dataSourceOptions } = require('../dist/src/database/data-source.js');
  const { UsersRepository } = require('../dist/src/users/users.repository.js');
  const { UsersService } = require('../dist/src/users/users.service.js');
  const { User } = require('../dist/src/users/user.entity.js');
  return withPasswordHasher(async (hasher) => {
    const dataSource = await new DataSource(dataSourceOptions(url)).initialize();
    try {
      return await work(new UsersService(new UsersRepository(dataSource.getRepository(User)), hasher));
    } finally {
      await dataSource.destroy();
    }
  });
}

/** The service's PasswordHasher (BCRYPT_COST, default 10), closed after `work`. */
export async function withPasswordHasher(work) {
  const { loadConfig } = require('../dist/src/config/config.js');
  const { PasswordHasher } = require('../dist/src/users/password-hasher.js');
  const hasher = new PasswordHasher(loadConfig());
  try {
    return await work(hasher);
  } finally {
    await hasher.destroy();
  }
}

/** Schema first (the same migrations the app runs), so a fresh database can be seeded. */
export async function migrate(url) {
  const { migrationDataSourceOptions: dataSourceOptions } = require('../dist/src/database/data-source.js');
  const dataSource = await new DataSource(dataSourceOptions(url)).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Makes sure `count` seeded users exist. Names combine 40 first and 30 last names (1 200
 * combinations, so a name fragment matches a realistic share of rows); created_at steps back
 * 30 s per user, with pairs sharing a timestamp so the id tie-break matters.
 */
export async function seedUsers(url, count, { reset = false, log = console.log } = {}) {
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    if (reset) {
      const { rowCount } = await client.query(`DELETE FROM users WHERE email LIKE '%' || $1`, [SEED_DOMAIN_SUFFIX]);
      log(`deleted ${rowCount} seeded users`);
    }
    const [{ existing }] = (
      await client.query(`SELECT count(*)::int AS existing FROM users WHERE email LIKE '%' || $1`, [SEED_DOMAIN_SUFFIX])
    ).rows;
    if (existing >= count) {
      log(`${existing} seeded users already there`);
      return { inserted: 0, total: existing, ms: 0 };
    }
    // One hash for every seeded user: they share the password.
    const hash = await withPasswordHasher((hasher) => hasher.hash(SEED_PASSWORD));
    const started = performance.now();
    const { rowCount } = await client.query(
      `WITH names AS (
         SELECT ARRAY['Budi','Siti','Agus','Dewi','Wanto','Rina','Joko','Sri','Andi','Putri','Bayu','Ayu','Hendra','Lestari',
                      'Rizky','Indah','Dimas','Fitri','Eko','Nur','Yusuf','Maya','Fajar','Ratna','Arif','Wulan','Dedi','Sari',
                      'Teguh','Nina','Bambang','Yanti','Hadi','Lina','Irfan','Tari','Gilang','Citra','Reza','Anisa'] AS first,
                ARRAY['Santoso','Wijaya','Saputra','Pratama','Hidayat','Nugroho','Kusuma','Setiawan','Gunawan','Siregar',
                      'Simanjuntak','Harahap','Purnomo','Susanto','Wibowo','Halim','Tanjung','Lubis','Nasution','Sihombing',
                      'Rahman','Syahputra','Permana','Hakim','Firmansyah','Kurniawan','Sulistyo','Utomo','Daulay','Panjaitan'] AS last,
                ARRAY['mail','kantor','proyek','sewa'] AS domain
       )
       INSERT INTO users (name, email, password_hash, role, is_active, created_at, updated_at)
       SELECT first[1 + g % 40] || ' ' || last[1 + (g / 40) % 30],
              lower(first[1 + g % 40]) || '.' || lower(last[1 + (g / 40) % 30]) || g || '@' || domain[1 + g % 4] || $3,
              $4, 'customer', true,
              now() - (g / 2) * interval '30 seconds', now() - (g / 2) * interval '30 seconds'
       FROM names, generate_series($1::int, $2::int) AS g
       ON CONFLICT DO NOTHING`,
      [existing + 1, count, SEED_DOMAIN_SUFFIX, hash],
    );
    const insertMs = performance.now() - started;
    // Fresh statistics (or the planner guesses row counts for the new rows) and the visibility map
    // (or counts and deep pages read every table row instead of the index alone): what autovacuum
    // does by itself within a minute or so of a bulk load (autovacuum_vacuum_insert_threshold).
    await client.query('VACUUM (ANALYZE) users');
    const ms = performance.now() - started;
    log(`inserted ${rowCount} users in ${(insertMs / 1000).toFixed(2)} s (${(ms / 1000).toFixed(2)} s with VACUUM ANALYZE)`);
    return { inserted: rowCount, total: existing + rowCount, ms };
  } finally {
    await client.end();
  }
}

/** DATABASE_URL, or the embedded server the app itself would use (started here if needed). */
export async function resolveDatabaseUrl(log = console.error) {
  const { loadConfig } = require('../dist/src/config/config.js');
  const { resolveDatabase } = require('../dist/src/database/database-url.js');
  return resolveDatabase(loadConfig(), log);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const count = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 100_000);
  const database = await resolveDatabaseUrl();
  try {
    await seedUsers(database.url, count, { reset: args.includes('--reset') });
  } finally {
    await database.stop();
  }
}
