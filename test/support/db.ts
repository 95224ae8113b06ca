import { DataSource } from 'typeorm';
import type { TokenPurpose } from '../../src/tokens/one-time-token.entity';
import { hashToken } from '../../src/tokens/secret-token';
import type { TestApp } from './app';

/**
 * The one place specs reach past the services into rows: time travel (a link that expired, a
 * rotation that happened long ago) and the admin roster. A renamed column changes this file only.
 * Each helper takes a TestApp (e2e) or a DataSource (service-level specs).
 */
type Target = TestApp | DataSource;

const dataSourceOf = (target: Target): DataSource => (target instanceof DataSource ? target : target.app.get(DataSource));

/** Runs an UPDATE and fails loudly when it matched nothing: a helper aimed at the wrong row must not pass quietly. */
async function update(target: Target, what: string, sql: string, parameters: unknown[]): Promise<number> {
  // TypeORM answers an UPDATE on PostgreSQL with [rows, affected].
  const [, affected] = (await dataSourceOf(target).query(sql, parameters)) as [unknown[], number];
  if (!affected) {
    const shown = parameters.map((p) => (Buffer.isBuffer(p) ? 'the token' : JSON.stringify(p))).join(', ');
    throw new Error(`${what}: no row matched (${shown})`);
  }
  return affected;
}

/** Every link token of the user (of one purpose, when given) expired a second ago. */
export function expireLinks(target: Target, userId: string, purpose?: TokenPurpose): Promise<number> {
  return purpose
    ? update(
        target,
        'expireLinks',
        `UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1 AND purpose = $2`,
        [userId, purpose],
      )
    : update(target, 'expireLinks', `UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [userId]);
}

/** This one link token (as mailed) expired a second ago. */
export function expireLink(target: Target, token: string): Promise<number> {
  return update(target, 'expireLink', `UPDATE one_time_tokens SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, [
    hashToken(token),
  ]);
}

/** Whether this link token (as mailed) has been used: a page that only looks at a link must leave it unused. */
export async function isLinkUsed(target: Target, token: string): Promise<boolean> {
  const rows = (await dataSourceOf(target).query(`SELECT used_at FROM one_time_tokens WHERE token_hash = $1`, [hashToken(token)])) as {
    used_at: Date | null;
  }[];
  if (rows.length !== 1) throw new Error(`isLinkUsed: ${rows.length} rows for the token`);
  return rows[0].used_at !== null;
}

/**
 * Pretends the refresh token's rotation happened `seconds` ago (the grace window is
 * REFRESH_REUSE_GRACE, 10 s by default): its session's row says so when it is the token the live
 * one replaced, and the history does for every rotated token. Only a rotated token matches.
 */
export function ageRotation(target: Target, refreshToken: string, seconds: number): Promise<number> {
  return update(
    target,
    'ageRotation',
    `WITH previous AS (
       UPDATE sessions SET rotated_at = now() - make_interval(secs => $2) WHERE previous_hash = $1 RETURNING id
     )
     UPDATE refresh_token_history SET created_at = now() - make_interval(secs => $2) WHERE token_hash = $1`,
    [hashToken(refreshToken), seconds],
  );
}

/** The session ran out a second ago. */
export function expireSession(target: Target, sessionId: string): Promise<number> {
  return update(target, 'expireSession', `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE id = $1`, [sessionId]);
}

/** The session was last used (logged in or refreshed) `seconds` ago: its last rotation dates from then. */
export function ageSessionUse(target: Target, sessionId: string, seconds: number): Promise<number> {
  return update(target, 'ageSessionUse', `UPDATE sessions SET rotated_at = now() - make_interval(secs => $2) WHERE id = $1`, [
    sessionId,
    seconds,
  ]);
}

/** The session was revoked `seconds` ago (revoking it if it was live). */
export function revokeSessionAgo(target: Target, sessionId: string, seconds: number): Promise<number> {
  return update(target, 'revokeSessionAgo', `UPDATE sessions SET revoked_at = now() - make_interval(secs => $2) WHERE id = $1`, [
    sessionId,
    seconds,
  ]);
}

/**
 * Makes these the only admins of the database (every spec shares it, and the last-admin rule
 * counts them all); returns what puts the others back.
 */
export async function keepOnlyAdmins(target: Target, adminIds: string[]): Promise<() => Promise<void>> {
  const db = dataSourceOf(target);
  const [rows] = (await db.query(`UPDATE users SET role = 'customer' WHERE role = 'admin' AND NOT (id = ANY($1::uuid[])) RETURNING id`, [
    adminIds,
  ])) as [{ id: string }[], number];
  const demoted = rows.map((row) => row.id);
  return async () => {
    if (demoted.length) await db.query(`UPDATE users SET role = 'admin' WHERE id = ANY($1::uuid[])`, [demoted]);
  };
}
