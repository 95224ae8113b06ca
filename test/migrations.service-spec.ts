import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { MIGRATIONS, migrationDataSourceOptions } from '../src/database/data-source';
import { RotationByInsert1796600000000 } from '../src/database/migrations/1796600000000-rotation-by-insert';
import { openSuccessor, sealSuccessor } from '../src/tokens/sealed-successor';
import { hashToken, newSecretToken } from '../src/tokens/secret-token';

/**
 * The migration that moves live grace seals (issue 12) on a database of its own, filled the way
 * the previous version wrote it: a token rotated a moment ago keeps working for a concurrent tab
 * across the upgrade, and down puts everything back where the previous version looks for it.
 */
describe('migration RotationByInsert (seals move onto the successor)', () => {
  const name = `alat_berat_migration_${randomBytes(4).toString('hex')}`;
  const url = new URL(inject('databaseUrl'));
  const database = new URL(url);
  database.pathname = `/${name}`;
  let db: DataSource;

  const admin = async (sql: string) => {
    const client = new Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${name}`);
    const before = MIGRATIONS.filter((migration) => migration !== RotationByInsert1796600000000);
    expect(before).toHaveLength(MIGRATIONS.length - 1);
    const previous = await new DataSource({ ...migrationDataSourceOptions(database.toString()), migrations: before }).initialize();
    await previous.runMigrations({ transaction: 'all' });
    await previous.destroy();
    db = await new DataSource(migrationDataSourceOptions(database.toString())).initialize();
  });
  afterAll(async () => {
    await db?.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  it('up: the seal of a just-rotated token moves onto its successor; rotated_at and last_used_at go', async () => {
    const [{ id: userId }] = await db.query(
      `INSERT INTO users (name, email, password_hash, is_active) VALUES ('Migrated', $1, 'not-a-hash', true) RETURNING id`,
      [`migrated-${randomBytes(3).toString('hex')}@example.com`],
    );
    const [{ id: sessionId }] = await db.query(
      `INSERT INTO sessions (user_id, expires_at, last_used_at) VALUES ($1, now() + interval '1 day', now()) RETURNING id`,
      [userId],
    );
    // The previous layout: a chain of three; the middle token was rotated last, so it holds the seal.
    const [first, middle, live] = [newSecretToken(), newSecretToken(), newSecretToken()];
    const insert = async (hash: Buffer, parentId: string | null, rotated: boolean, sealed: Buffer | null) =>
      (
        await db.query(
          `INSERT INTO refresh_tokens (session_id, token_hash, parent_id, rotated_at, successor_sealed)
           VALUES ($1, $2, $3, CASE WHEN $4::boolean THEN now() END, $5) RETURNING id`,
          [sessionId, hash, parentId, rotated, sealed],
        )
      )[0].id as string;
    const firstId = await insert(first.hash, null, true, null);
    const middleId = await insert(middle.hash, firstId, true, sealSuccessor(middle.token, live.token));
    const liveId = await insert(live.hash, middleId, false, null);

    await db.runMigrations({ transaction: 'all' });

    const rows: { id: string; successor_sealed: Buffer | null }[] = await db.query(
      `SELECT id, successor_sealed FROM refresh_tokens WHERE session_id = $1`,
      [sessionId],
    );
    const sealOf = (id: string) => rows.find((row) => row.id === id)?.successor_sealed ?? null;
    expect(sealOf(firstId)).toBeNull();
    expect(sealOf(middleId)).toBeNull();
    expect(openSuccessor(middle.token, sealOf(liveId)!, middleId)).toBe(live.token);
    const columns: { table_name: string; column_name: string }[] = await db.query(
      `SELECT table_name, column_name FROM information_schema.columns
        WHERE (table_name, column_name) IN (('refresh_tokens', 'rotated_at'), ('sessions', 'last_used_at'))`,
    );
    expect(columns).toEqual([]);
    // A second successor for one token cannot be written any more.
    await expect(
      db.query(`INSERT INTO refresh_tokens (session_id, token_hash, parent_id) VALUES ($1, $2, $3)`, [
        sessionId,
        hashToken(newSecretToken().token),
        middleId,
      ]),
    ).rejects.toThrow(/refresh_tokens_parent_id_key/);

    // down: the seal back on the rotated token, rotated_at and last_used_at from the chain.
    await db.undoLastMigration({ transaction: 'all' });
    const back: { id: string; rotated: boolean; successor_sealed: Buffer | null }[] = await db.query(
      `SELECT id, rotated_at IS NOT NULL AS rotated, successor_sealed FROM refresh_tokens WHERE session_id = $1`,
      [sessionId],
    );
    const row = (id: string) => back.find((r) => r.id === id)!;
    expect([firstId, middleId, liveId].map((id) => row(id).rotated)).toEqual([true, true, false]);
    expect(row(liveId).successor_sealed).toBeNull();
    expect(openSuccessor(middle.token, row(middleId).successor_sealed!, middleId)).toBe(live.token);
    const [{ last_used_at: lastUsed, newest }] = await db.query(
      `SELECT s.last_used_at, (SELECT max(created_at) FROM refresh_tokens WHERE session_id = s.id) AS newest FROM sessions s WHERE s.id = $1`,
      [sessionId],
    );
    expect((lastUsed as Date).getTime()).toBe((newest as Date).getTime());
  });
});
