import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { MIGRATIONS, migrationDataSourceOptions } from '../src/database/data-source';
import { RotationByInsert1796600000000 } from '../src/database/migrations/1796600000000-rotation-by-insert';
import { RotationInSessionRow1796700000000 } from '../src/database/migrations/1796700000000-rotation-in-session-row';
import { openSuccessor } from '../src/tokens/sealed-successor';
import { sealAsBefore } from './support/legacy-seal';
import { hashToken, newSecretToken } from '../src/tokens/secret-token';

/**
 * A database of its own at the schema just before `migration`, then a data source whose last
 * migration is `migration` itself: the test fills the previous layout, runs it, and undoes it.
 */
function databaseBefore(migration: (typeof MIGRATIONS)[number]) {
  const name = `alat_berat_migration_${randomBytes(4).toString('hex')}`;
  const url = new URL(inject('databaseUrl'));
  const database = new URL(url);
  database.pathname = `/${name}`;
  const at = MIGRATIONS.indexOf(migration);
  const state: { db: DataSource } = { db: undefined as unknown as DataSource };

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
    expect(at).toBeGreaterThan(0);
    await admin(`CREATE DATABASE ${name}`);
    const options = migrationDataSourceOptions(database.toString());
    const previous = await new DataSource({ ...options, migrations: MIGRATIONS.slice(0, at) }).initialize();
    await previous.runMigrations({ transaction: 'all' });
    await previous.destroy();
    state.db = await new DataSource({ ...options, migrations: MIGRATIONS.slice(0, at + 1) }).initialize();
  });
  afterAll(async () => {
    await state.db?.destroy();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
  return state;
}

/**
 * The migration that moves live grace seals (issue 12) on a database of its own, filled the way
 * the previous version wrote it: a token rotated a moment ago keeps working for a concurrent tab
 * across the upgrade, and down puts everything back where the previous version looks for it.
 */
describe('migration RotationByInsert (seals move onto the successor)', () => {
  const state = databaseBefore(RotationByInsert1796600000000);

  it('up: the seal of a just-rotated token moves onto its successor; rotated_at and last_used_at go', async () => {
    const { db } = state;
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
    const middleId = await insert(middle.hash, firstId, true, sealAsBefore(middle.token, live.token));
    const liveId = await insert(live.hash, middleId, false, null);

    await db.runMigrations({ transaction: 'all' });

    const rows: { id: string; successor_sealed: Buffer | null }[] = await db.query(
      `SELECT id, successor_sealed FROM refresh_tokens WHERE session_id = $1`,
      [sessionId],
    );
    const sealOf = (id: string) => rows.find((row) => row.id === id)?.successor_sealed ?? null;
    expect(sealOf(firstId)).toBeNull();
    expect(sealOf(middleId)).toBeNull();
    expect(openSuccessor(middle.token, sealOf(liveId)!, { sessionId, hash: live.hash })).toBe(live.token);
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
    expect(openSuccessor(middle.token, row(middleId).successor_sealed!, { sessionId, hash: live.hash })).toBe(live.token);
    const [{ last_used_at: lastUsed, newest }] = await db.query(
      `SELECT s.last_used_at, (SELECT max(created_at) FROM refresh_tokens WHERE session_id = s.id) AS newest FROM sessions s WHERE s.id = $1`,
      [sessionId],
    );
    expect((lastUsed as Date).getTime()).toBe((newest as Date).getTime());
  });
});

/**
 * The migration that moves each session's live token, its previous one and the grace seal into the
 * session's row (issue 12): a live chain of the previous layout keeps working across the upgrade
 * (its tokens are found by hash in the history), and down rebuilds the chains.
 */
describe('migration RotationInSessionRow (a refresh updates the session row)', () => {
  const state = databaseBefore(RotationInSessionRow1796700000000);

  it('up: live, previous and seal move into the session row and every hash into the history; down rebuilds the chain', async () => {
    const { db } = state;
    const [{ id: userId }] = await db.query(
      `INSERT INTO users (name, email, password_hash, is_active) VALUES ('Migrated', $1, 'not-a-hash', true) RETURNING id`,
      [`migrated-${randomBytes(3).toString('hex')}@example.com`],
    );
    const session = async () =>
      (
        await db.query(
          `INSERT INTO sessions (user_id, created_at, expires_at) VALUES ($1, now() - interval '3 minutes', now() + interval '1 day') RETURNING id`,
          [userId],
        )
      )[0].id as string;
    const [rotatedSession, freshSession] = [await session(), await session()];
    const insert = async (sessionId: string, hash: Buffer, parentId: string | null, ago: number, sealed: Buffer | null) =>
      (
        await db.query(
          `INSERT INTO refresh_tokens (session_id, token_hash, parent_id, created_at, successor_sealed)
           VALUES ($1, $2, $3, now() - make_interval(secs => $4), $5) RETURNING id`,
          [sessionId, hash, parentId, ago, sealed],
        )
      )[0].id as string;
    // The previous layout: a chain of three rotated 60 s and 2 s ago (the live row holds the seal
    // of the last rotation), and a session never refreshed.
    const [first, middle, live, only] = [newSecretToken(), newSecretToken(), newSecretToken(), newSecretToken()];
    const firstId = await insert(rotatedSession, first.hash, null, 180, null);
    const middleId = await insert(rotatedSession, middle.hash, firstId, 60, null);
    await insert(rotatedSession, live.hash, middleId, 2, sealAsBefore(middle.token, live.token));
    await insert(freshSession, only.hash, null, 180, null);

    await db.runMigrations({ transaction: 'all' });

    const rows: {
      id: string;
      token_hash: Buffer;
      previous_hash: Buffer | null;
      successor_sealed: Buffer | null;
      rotated_ago: number | null;
    }[] = await db.query(
      `SELECT id, token_hash, previous_hash, successor_sealed, extract(epoch FROM now() - rotated_at)::float AS rotated_ago
         FROM sessions WHERE user_id = $1`,
      [userId],
    );
    const rotated = rows.find((row) => row.id === rotatedSession)!;
    const fresh = rows.find((row) => row.id === freshSession)!;
    expect(rotated.token_hash.equals(live.hash)).toBe(true);
    expect(rotated.previous_hash!.equals(middle.hash)).toBe(true);
    expect(rotated.rotated_ago).toBeGreaterThanOrEqual(2);
    expect(rotated.rotated_ago).toBeLessThan(10); // still within the 10 s grace window
    expect(openSuccessor(middle.token, rotated.successor_sealed!, { sessionId: rotatedSession, hash: live.hash })).toBe(live.token);
    expect(fresh).toMatchObject({ previous_hash: null, successor_sealed: null, rotated_ago: null });
    expect(fresh.token_hash.equals(only.hash)).toBe(true);
    const history: { token_hash: Buffer; session_id: string }[] = await db.query(
      `SELECT token_hash, session_id FROM refresh_token_history WHERE session_id = ANY($1::uuid[])`,
      [[rotatedSession, freshSession]],
    );
    const hex = (hash: Buffer) => hash.toString('hex');
    expect(new Map(history.map((row) => [hex(row.token_hash), row.session_id]))).toEqual(
      new Map([
        [hex(first.hash), rotatedSession],
        [hex(middle.hash), rotatedSession],
        [hex(live.hash), rotatedSession],
        [hex(only.hash), freshSession],
      ]),
    );
    const tables: unknown[] = await db.query(`SELECT 1 FROM information_schema.tables WHERE table_name = 'refresh_tokens'`);
    expect(tables).toEqual([]);

    // down: each chain again, oldest first, the seal on the live token; every other link rotated,
    // and made when the one before it was (the live one 2 s ago, as before: its grace window goes on).
    await db.undoLastMigration({ transaction: 'all' });
    const back: { session_id: string; token_hash: Buffer; parent_hash: Buffer | null; sealed: Buffer | null; rotated: boolean }[] =
      await db.query(
        `SELECT t.session_id, t.token_hash, p.token_hash AS parent_hash, t.successor_sealed AS sealed,
                EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_id = t.id) AS rotated
           FROM refresh_tokens t LEFT JOIN refresh_tokens p ON p.id = t.parent_id
          WHERE t.session_id = ANY($1::uuid[]) ORDER BY t.created_at`,
        [[rotatedSession, freshSession]],
      );
    const chain = back.filter((row) => row.session_id === rotatedSession);
    expect(chain.map((row) => hex(row.token_hash))).toEqual([first, middle, live].map((token) => hex(token.hash)));
    expect(chain.map((row) => row.parent_hash && hex(row.parent_hash))).toEqual([null, hex(first.hash), hex(middle.hash)]);
    expect(chain.map((row) => row.rotated)).toEqual([true, true, false]);
    expect(openSuccessor(middle.token, chain[2].sealed!, { sessionId: rotatedSession, hash: live.hash })).toBe(live.token);
    const [{ ago }] = await db.query(
      `SELECT extract(epoch FROM now() - max(created_at))::float AS ago FROM refresh_tokens WHERE session_id = $1`,
      [rotatedSession],
    );
    expect(ago).toBeGreaterThanOrEqual(2);
    expect(ago).toBeLessThan(10);
    const single = back.filter((row) => row.session_id === freshSession);
    expect(single).toHaveLength(1);
    expect(single[0]).toMatchObject({ parent_hash: null, sealed: null, rotated: false });
    const columns: unknown[] = await db.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'sessions' AND column_name IN ('token_hash', 'previous_hash')`,
    );
    expect(columns).toEqual([]);
  });
});
