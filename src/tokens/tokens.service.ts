import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager, In, IsNull, LessThan } from 'typeorm';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { OneTimeToken, type TokenPurpose } from './one-time-token.entity';
import { newRefreshToken, sessionNamedBy } from './refresh-token';
import { openSuccessor, sealSuccessor } from './sealed-successor';
import { hashToken, newSecretToken } from './secret-token';
import { BadLinkTokenError } from './tokens.errors';
import { Session } from './session.entity';
import { driverPool } from '../database/data-source';
import { shiftPlaceholders, type SqlStatement } from '../database/sql-statement';

/** A link token accepted by `consume`: `repeat` when it had been used before (a second click). */
export interface ConsumedToken {
  token: OneTimeToken;
  repeat: boolean;
}

/** Where a login came from, for the user's devices list (route 17). */
export interface SessionDevice {
  userAgent?: string | null;
  ip?: string | null;
}

const USER_AGENT_MAX = 512;
const IP_MAX = 64;

/** Cut to the column's length in code points (varchar counts characters, not UTF-16 units). */
function clip(value: string | null | undefined, max: number): string | null {
  if (!value) return null;
  // PostgreSQL refuses NUL; the other control characters are noise in a devices list.
  const chars = Array.from(value.replace(/[\u0000-\u001f\u007f]/g, ''));
  return chars.slice(0, max).join('') || null;
}

/** Purposes whose second click still reports the outcome (mail scanners open links first). */
const REPEATABLE: Record<TokenPurpose, boolean> = { activation: true, email_change: true, password_reset: false };

export type RefreshOutcome<J = never> =
  | { status: 'rotated'; sessionId: string; userId: string; refreshToken: string; joined: J | null }
  | { status: 'invalid' }
  | { status: 'reused'; sessionId: string; userId: string };

/**
 * Another module's row read in the rotation's one round trip, keyed by the session's user: auth
 * adds the user the new access token is for, which saves the second round trip a refresh made
 * (issue 12). `columns` may name only the alias `join` introduces, each aliased apart from the
 * rotation's own columns; `join` joins it to `cur` (the session: `cur.user_id`); `read` turns the
 * columns into the caller's value (null: no such row).
 */
export interface RotationJoin<J> {
  name: string;
  columns: string;
  join: string;
  read(row: Record<string, unknown>): J | null;
}

interface RotationRow {
  session_id: string;
  user_id: string;
}

/** Where a token stands in its session when it was not the live one. */
interface StandingRow extends RotationRow {
  live: boolean;
  token_hash: Buffer | null;
  previous: boolean;
  within_grace: boolean;
  successor_sealed: Buffer | null;
  retired: boolean;
}

const withJoin = (join: Pick<RotationJoin<unknown>, 'columns' | 'join'> | undefined, select: string, from: string) =>
  `${select}${join ? `, ${join.columns}` : ''} FROM ${from}${join ? ` ${join.join}` : ''}`;

/**
 * One refresh, one round trip, one row written in place: $1 the session the presented token names,
 * $2 its hash, $3 the successor's hash, $4 the successor sealed under the presented token. When the
 * presented token is the session's live one and the session is live, its row takes the successor's
 * hash, keeps the presented one as the previous (with the time and the seal, for the grace window),
 * and the presented hash goes into the history, which is what recognises it if it ever comes back.
 * Concurrent presentations of one token queue on the row's lock; the first rotates, the others
 * then find a row that no longer matches and read where their token stands (STANDING).
 */
const rotationStatement = (join?: Pick<RotationJoin<unknown>, 'columns' | 'join'>) => `
  WITH cur AS (
    UPDATE sessions s SET token_hash = $3, previous_hash = s.token_hash, rotated_at = now(), successor_sealed = $4
     WHERE s.id = $1 AND s.token_hash = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
    RETURNING s.id, s.user_id
  ), retired AS (
    INSERT INTO refresh_token_history (token_hash, session_id) SELECT $2, id FROM cur ON CONFLICT (token_hash) DO NOTHING
  )
  ${withJoin(join, 'SELECT cur.id AS session_id, cur.user_id', 'cur')}`;

/**
 * A token that was not its session's live one ($1 the session, $2 the token's hash): whether the
 * session is live, whether the token is the one the live token replaced and that happened within the
 * grace window ($3 seconds, by the database's clock, the one `rotated_at` is written with), the seal,
 * and whether it is an older token of the session.
 */
const standingStatement = (join?: Pick<RotationJoin<unknown>, 'columns' | 'join'>) => `
  ${withJoin(
    join,
    'SELECT cur.id AS session_id, cur.user_id, cur.live, cur.token_hash, cur.previous, cur.within_grace, cur.successor_sealed, cur.retired',
    `(SELECT s.id, s.user_id, s.token_hash, s.successor_sealed, (s.revoked_at IS NULL AND s.expires_at > now()) AS live,
             coalesce(s.previous_hash = $2, false) AS previous,
             coalesce(s.rotated_at >= now() - make_interval(secs => $3::double precision), false) AS within_grace,
             EXISTS (SELECT 1 FROM refresh_token_history h WHERE h.token_hash = $2 AND h.session_id = s.id) AS retired
        FROM sessions s WHERE s.id = $1) cur`,
  )}`;

/** The session of a token from before tokens named their session: found by its hash. */
const HISTORY_SESSION = `SELECT session_id FROM refresh_token_history WHERE token_hash = $1`;

/** A session ($1 its id, made here so the token can name it and a carried insert can too) holding its first refresh token. */
const CREATE_SESSION_WITH = `
  WITH session AS (
    INSERT INTO sessions (id, user_id, expires_at, token_hash, user_agent, ip)
    VALUES ($1, $2, now() + make_interval(secs => $3), $4, $5, $6) RETURNING created_at, expires_at
  )`;
const CREATE_SESSION_END = `
  SELECT created_at, expires_at FROM session`;
const CREATE_SESSION = CREATE_SESSION_WITH + CREATE_SESSION_END;

/**
 * Sessions, their refresh tokens and the one-time tokens sent by email. Deals in user ids
 * only; it knows nothing of users beyond that.
 */
@Injectable()
export class TokensService {
  private readonly pool: Pool;
  private readonly statementsByJoin = new Map<string, { rotate: string; standing: string }>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectConfig() private readonly config: AppConfig,
  ) {
    this.pool = driverPool(dataSource);
  }

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /**
   * A new login: a session (with the device it was made from) holding its first refresh token, in
   * one statement (one round trip, one commit; TypeORM's save + insert took five round trips and two
   * commits). `alongside`, given the new session's id, is a further insert that commits with them
   * in that same statement (login's event): no transaction, so no BEGIN and COMMIT round trips.
   */
  async createSession(
    userId: string,
    ttlSeconds: number,
    device: SessionDevice = {},
    alongside?: (sessionId: string) => SqlStatement,
  ): Promise<{ session: Session; refreshToken: string }> {
    const id = randomUUID();
    const { token, hash } = newRefreshToken(id);
    const userAgent = clip(device.userAgent, USER_AGENT_MAX);
    const ip = clip(device.ip, IP_MAX);
    const values: unknown[] = [id, userId, ttlSeconds, hash, userAgent, ip];
    const carried = alongside?.(id);
    const text = carried
      ? `${CREATE_SESSION_WITH}, alongside AS (${shiftPlaceholders(carried, values.length)})${CREATE_SESSION_END}`
      : CREATE_SESSION;
    if (carried) values.push(...carried.values);
    const { rows } = await this.pool.query<{ created_at: Date; expires_at: Date }>({
      name: carried ? `session_create_with_${carried.name}` : 'session_create',
      text,
      values,
    });
    const session = Object.assign(new Session(), {
      id,
      userId,
      createdAt: rows[0].created_at,
      expiresAt: rows[0].expires_at,
      revokedAt: null,
      revokeReason: null,
      userAgent,
      ip,
      rotatedAt: null,
    });
    return { session, refreshToken: token };
  }

  /** True while the session is unrevoked, unexpired and belongs to this user. One indexed read. */
  async isSessionActive(sessionId: string, userId: string): Promise<boolean> {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .where('session.id = :sessionId AND session.user_id = :userId', { sessionId, userId })
      .andWhere('session.revoked_at IS NULL AND session.expires_at > now()')
      .getExists();
  }

  /** Whose refresh token this is (the live one or any that its session had before), or null. */
  async findRefreshTokenOwner(presented: string): Promise<string | null> {
    const rows: { user_id: string }[] = await this.dataSource.query(
      `SELECT s.user_id FROM sessions s
        WHERE (s.id = $1 AND s.token_hash = $2)
           OR s.id = (SELECT h.session_id FROM refresh_token_history h WHERE h.token_hash = $2)`,
      [sessionNamedBy(presented), hashToken(presented)],
    );
    return rows[0]?.user_id ?? null;
  }

  /** The user's live sessions ("my devices"), newest first; the 100 newest at most. */
  async listLiveSessions(userId: string): Promise<Session[]> {
    return this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .where('session.user_id = :userId', { userId })
      .andWhere('session.revoked_at IS NULL AND session.expires_at > now()')
      .orderBy('session.created_at', 'DESC')
      .addOrderBy('session.id', 'DESC')
      .limit(100)
      .getMany();
  }

  /** Ends one live session of this user; false when it is not theirs, not live or unknown. */
  async revokeUserSession(userId: string, sessionId: string, reason: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.manager(manager)
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('id = :sessionId AND user_id = :userId', { sessionId, userId })
      .andWhere('revoked_at IS NULL AND expires_at > now()')
      .execute();
    return (result.affected ?? 0) > 0;
  }

  /** Ends a live session; its grace seal goes with it (an ended session's can never be used). */
  async revokeSession(sessionId: string, reason: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.manager(manager)
      .getRepository(Session)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason, successorSealed: null });
    return (result.affected ?? 0) > 0;
  }

  /** Ends every live session of a user, except `keepSessionId` when given; returns the ids it ended. */
  async revokeUserSessions(userId: string, reason: string, keepSessionId?: string, manager?: EntityManager): Promise<string[]> {
    const query = this.manager(manager)
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId })
      .returning(['id']);
    if (keepSessionId) query.andWhere('id <> :keepSessionId', { keepSessionId });
    const result = await query.execute();
    return (result.raw as { id: string }[]).map((row) => row.id);
  }

  /**
   * The one "credentials changed" step (password reset, password change, logout of every
   * session): ends the user's sessions (except `keepSessionId`) and cancels every pending
   * email-change and password-reset link, so nothing asked for under the old credentials (an
   * intruder's email change, say) survives the owner taking the account back.
   */
  async credentialsChanged(userId: string, reason: string, keepSessionId: string | undefined, manager: EntityManager): Promise<string[]> {
    const ended = await this.revokeUserSessions(userId, reason, keepSessionId, manager);
    await this.cancelLinks(userId, ['email_change', 'password_reset'], manager);
    return ended;
  }

  /** Pending (unused) links of these purposes stop working: deleted, so they answer like unknown ones. */
  async cancelLinks(userId: string, purposes: TokenPurpose[], manager: EntityManager): Promise<void> {
    await manager.getRepository(OneTimeToken).delete({ userId, purpose: In(purposes), usedAt: IsNull() });
  }

  /**
   * Exchanges a refresh token for a new one, in one statement that rewrites the session's row in
   * place (rotationStatement, above): presentations of one token queue on that row. The first
   * rotates it and keeps the successor sealed under the presented token (sealed-successor.ts); the
   * others read where their token stands, and a presentation of the just-rotated token within
   * `graceSeconds` (a concurrent tab) gets that same successor back, so a session never forks and
   * has one live refresh token. After the window, or for any older token of the session, it is
   * reuse, and the whole session is revoked (in a transaction of its own, with `onReuse` for what
   * must commit with it: the caller's event).
   *
   * Raw pg with named statements rather than TypeORM: the transaction of six TypeORM queries this
   * replaced made refresh the slowest route (about 10x the baseline's CPU per request, issue 12).
   */
  async rotateRefreshToken<J = never>(
    presented: string,
    graceSeconds: number,
    onReuse?: (db: EntityManager, outcome: Extract<RefreshOutcome, { status: 'reused' }>) => Promise<void>,
    join?: RotationJoin<J>,
  ): Promise<RefreshOutcome<J>> {
    const presentedHash = hashToken(presented);
    const sessionId = sessionNamedBy(presented) ?? (await this.sessionInHistory(presentedHash));
    if (!sessionId) return { status: 'invalid' };
    const { token: successor, hash, secret } = newRefreshToken(sessionId);
    const statements = this.statements(join);
    const { rows } = await this.pool.query<RotationRow>({
      name: join ? `tokens_rotate_refresh_${join.name}` : 'tokens_rotate_refresh',
      text: statements.rotate,
      values: [sessionId, presentedHash, hash, sealSuccessor(presented, secret, presentedHash)],
    });
    const joined = (row: RotationRow) => (join ? join.read(row as unknown as Record<string, unknown>) : null);
    if (rows[0]) return { status: 'rotated', sessionId, userId: rows[0].user_id, refreshToken: successor, joined: joined(rows[0]) };

    const { rows: standing } = await this.pool.query<StandingRow>({
      name: join ? `tokens_refresh_standing_${join.name}` : 'tokens_refresh_standing',
      text: statements.standing,
      values: [sessionId, presentedHash, graceSeconds],
    });
    const row = standing[0];
    if (!row?.live || !(row.previous || row.retired)) return { status: 'invalid' };
    const kept =
      row.previous && row.within_grace && row.successor_sealed && row.token_hash
        ? openSuccessor(presented, row.successor_sealed, { sessionId, hash: row.token_hash }, presentedHash)
        : undefined;
    if (kept !== undefined) return { status: 'rotated', sessionId, userId: row.user_id, refreshToken: kept, joined: joined(row) };
    const reused = { status: 'reused', sessionId, userId: row.user_id } as const;
    await this.dataSource.transaction(async (db) => {
      await this.revokeSession(sessionId, 'refresh_reuse', db);
      await onReuse?.(db, reused);
    });
    return reused;
  }

  private async sessionInHistory(hash: Buffer): Promise<string | null> {
    const { rows } = await this.pool.query<{ session_id: string }>({
      name: 'tokens_history_session',
      text: HISTORY_SESSION,
      values: [hash],
    });
    return rows[0]?.session_id ?? null;
  }

  private statements(join?: RotationJoin<unknown>): { rotate: string; standing: string } {
    const key = join?.name ?? '';
    let statements = this.statementsByJoin.get(key);
    if (!statements) this.statementsByJoin.set(key, (statements = { rotate: rotationStatement(join), standing: standingStatement(join) }));
    return statements;
  }

  /** Seals whose grace window has ended can never be used: erased (by the database's clock, the one rotated_at is written with). */
  private async eraseLapsedSeals(graceSeconds: number, manager: EntityManager): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(Session)
      .set({ successorSealed: null })
      .where('successor_sealed IS NOT NULL AND rotated_at < now() - make_interval(secs => :grace)', { grace: graceSeconds })
      .execute();
    return result.affected ?? 0;
  }

  /**
   * Issues a link token. With `replace`, older unused tokens of the same purpose for this user
   * stop working (a resent activation link invalidates the previous ones).
   */
  async issueOneTimeToken(
    userId: string,
    purpose: TokenPurpose,
    ttlSeconds: number,
    options: { replace?: boolean; newEmail?: string } = {},
    manager?: EntityManager,
  ): Promise<string> {
    const repo = this.manager(manager).getRepository(OneTimeToken);
    if (options.replace) await repo.delete({ userId, purpose, usedAt: IsNull() });
    const { token, hash } = newSecretToken();
    await repo.insert({
      userId,
      purpose,
      tokenHash: hash,
      newEmail: options.newEmail ?? null,
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    });
    return token;
  }

  /**
   * The one check every link flow uses: the token of this purpose, locked until the transaction
   * ends and marked used. Unknown (or of another purpose) and expired are a 400 with the
   * purpose's message; a used one is a 400 too, except for purposes whose second click reports
   * the outcome again, which get `repeat: true`.
   */
  async consume(token: string, purpose: TokenPurpose, manager: EntityManager): Promise<ConsumedToken> {
    const found = await manager
      .getRepository(OneTimeToken)
      .createQueryBuilder('token')
      .setLock('pessimistic_write')
      .where('token.token_hash = :hash AND token.purpose = :purpose', { hash: hashToken(token), purpose })
      .getOne();
    if (!found) throw new BadLinkTokenError(purpose, 'invalid');
    if (found.expiresAt.getTime() <= Date.now()) throw new BadLinkTokenError(purpose, 'expired');
    if (found.usedAt) {
      if (!REPEATABLE[purpose]) throw new BadLinkTokenError(purpose, 'invalid');
      return { token: found, repeat: true };
    }
    await manager.getRepository(OneTimeToken).update({ id: found.id }, { usedAt: new Date() });
    return { token: found, repeat: false };
  }

  /** Removes what can never be used again: ended sessions and expired link tokens. */
  async purgeExpired(): Promise<{ sessions: number; oneTimeTokens: number }> {
    const now = new Date();
    const sessions = await this.dataSource.getRepository(Session).delete({ expiresAt: LessThan(now) });
    const revoked = await this.dataSource
      .createQueryBuilder()
      .delete()
      .from(Session)
      .where(`revoked_at < now() - interval '1 day'`)
      .execute();
    const oneTime = await this.dataSource.getRepository(OneTimeToken).delete({ expiresAt: LessThan(now) });
    // The hashes of sessions that are gone (no foreign key: a refresh would key-share-lock the row it just updated).
    await this.dataSource.query(
      `DELETE FROM refresh_token_history h WHERE NOT EXISTS (SELECT 1 FROM sessions s WHERE s.id = h.session_id)`,
    );
    await this.eraseLapsedSeals(this.config.auth.refreshReuseGrace, this.dataSource.manager);
    return { sessions: (sessions.affected ?? 0) + (revoked.affected ?? 0), oneTimeTokens: oneTime.affected ?? 0 };
  }
}
