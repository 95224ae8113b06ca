import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { DataSource, EntityManager, In, IsNull, LessThan } from 'typeorm';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { OneTimeToken, type TokenPurpose } from './one-time-token.entity';
import { RefreshToken } from './refresh-token.entity';
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
 * rotation's own columns; `read` turns them into the caller's value (null: no such row).
 */
export interface RotationJoin<J> {
  name: string;
  columns: string;
  join: string;
  read(row: Record<string, unknown>): J | null;
}

interface RotationRow {
  id: string;
  session_id: string;
  user_id: string;
  live: boolean;
  rotated_now: boolean;
}

/**
 * One refresh, one round trip: $1 the presented token's hash, $2 the successor's hash, $3 the
 * successor sealed under the presented token. When the token's session is live the statement
 * inserts the successor, with its seal, as the token's child. A token has at most one child
 * (unique `parent_id`): a concurrent presentation's insert waits on the first one's index entry
 * until that commits, then conflicts and inserts nothing (`rotated_now` false), and the caller
 * reads the successor there is (SUCCESSOR_OF). The insert also erases the presented token's own
 * seal (it was the successor of its parent, and is an old token now), so a session holds one seal,
 * on its live token: whoever reads the table and holds an old token can open nothing but the
 * successor of the token rotated last. The session row is not written (its last use is its newest
 * token's creation): updating it in the statement whose foreign key key-share-locks it cost ~100 µs
 * of PostgreSQL CPU per refresh (issue 12). A `RotationJoin` adds its row to the answer.
 */
function rotationStatement(join?: Pick<RotationJoin<unknown>, 'columns' | 'join'>): string {
  return `
  WITH cur AS (
    SELECT t.id, t.session_id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > now()) AS live
      FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
     WHERE t.token_hash = $1
  ), successor AS (
    INSERT INTO refresh_tokens (session_id, token_hash, parent_id, successor_sealed)
    SELECT session_id, $2, id, $3 FROM cur WHERE live
        ON CONFLICT (parent_id) DO NOTHING
    RETURNING parent_id
  ), erased AS (
    UPDATE refresh_tokens t SET successor_sealed = NULL
      FROM successor WHERE t.id = successor.parent_id AND t.successor_sealed IS NOT NULL
  )
  SELECT cur.id, cur.session_id, cur.user_id, cur.live, EXISTS (SELECT 1 FROM successor) AS rotated_now${
    join
      ? `,
         ${join.columns}`
      : ''
  }
    FROM cur${join ? ` ${join.join}` : ''}`;
}

/**
 * The successor of a token that was rotated before ($1 its row id): sealed under that token, and
 * whether it is still the session's live token within the grace window ($2 seconds, by the
 * database's clock, the one `created_at` is written with).
 */
const SUCCESSOR_OF = `
  SELECT c.successor_sealed,
         c.created_at >= now() - make_interval(secs => $2::double precision) AS within_grace,
         EXISTS (SELECT 1 FROM refresh_tokens g WHERE g.parent_id = c.id) AS rotated
    FROM refresh_tokens c
   WHERE c.parent_id = $1`;

const ROTATE = rotationStatement();

/** A session ($1 its id, made here so a carried insert can name it) and its first refresh token. */
const CREATE_SESSION_WITH = `
  WITH session AS (
    INSERT INTO sessions (id, user_id, expires_at, user_agent, ip)
    VALUES ($1, $2, now() + make_interval(secs => $3), $5, $6) RETURNING created_at, expires_at
  ), token AS (
    INSERT INTO refresh_tokens (session_id, token_hash) VALUES ($1, $4)
  )`;
const CREATE_SESSION_END = `
  SELECT created_at, expires_at FROM session`;
const CREATE_SESSION = CREATE_SESSION_WITH + CREATE_SESSION_END;

/**
 * Sessions, their refresh-token chains and the one-time tokens sent by email. Deals in user ids
 * only; it knows nothing of users beyond that.
 */
@Injectable()
export class TokensService {
  private readonly pool: Pool;
  private readonly joinedStatements = new Map<string, string>();

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
   * A new login: a session (with the device it was made from) and its first refresh token, in one
   * statement (one round trip, one commit; TypeORM's save + insert took five round trips and two
   * commits). `alongside`, given the new session's id, is a further insert that commits with them
   * in that same statement (login's event): no transaction, so no BEGIN and COMMIT round trips.
   */
  async createSession(
    userId: string,
    ttlSeconds: number,
    device: SessionDevice = {},
    alongside?: (sessionId: string) => SqlStatement,
  ): Promise<{ session: Session; refreshToken: string }> {
    const { token, hash } = newSecretToken();
    const id = randomUUID();
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
      lastUsedAt: rows[0].created_at,
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

  /** Whose refresh token this is (any of a session's chain, rotated ones included), or null. */
  async findRefreshTokenOwner(presented: string): Promise<string | null> {
    const row = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .innerJoin(RefreshToken, 'token', 'token.session_id = session.id')
      .where('token.token_hash = :hash', { hash: hashToken(presented) })
      .getOne();
    return row?.userId ?? null;
  }

  /**
   * The user's live sessions ("my devices"), newest first; the 100 newest at most. The last use
   * is the newest refresh token's creation (one step down the `(session_id, created_at)` index each).
   */
  async listLiveSessions(userId: string): Promise<Session[]> {
    const { entities, raw } = await this.dataSource
      .getRepository(Session)
      .createQueryBuilder('session')
      .addSelect(
        (newest) => newest.select('max(token.created_at)').from(RefreshToken, 'token').where('token.session_id = session.id'),
        'last_used_at',
      )
      .where('session.user_id = :userId', { userId })
      .andWhere('session.revoked_at IS NULL AND session.expires_at > now()')
      .orderBy('session.created_at', 'DESC')
      .addOrderBy('session.id', 'DESC')
      .limit(100)
      .getRawAndEntities<{ session_id: string; last_used_at: Date | null }>();
    const lastUse = new Map(raw.map((row) => [row.session_id, row.last_used_at]));
    return entities.map((session) => Object.assign(session, { lastUsedAt: lastUse.get(session.id) ?? session.createdAt }));
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

  async revokeSession(sessionId: string, reason: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.manager(manager)
      .getRepository(Session)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
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
   * Exchanges a refresh token for a new one, in one statement (ROTATE, above) that inserts the
   * successor: presentations of one token queue on its unique `parent_id`. The first rotates it and
   * stores the successor sealed under the presented token (sealed-successor.ts); the others read
   * that successor in a second statement, and a presentation of the just-rotated token within
   * `graceSeconds` (a concurrent tab) gets that same successor back, so a session never forks and
   * has one live refresh token. After the window, or once the successor was rotated in turn, the
   * token is an old one: reuse, and the whole session is revoked (in a transaction of its own,
   * with `onReuse` for what must commit with it: the caller's event).
   *
   * Raw pg with a named statement rather than TypeORM: the transaction of six TypeORM queries it
   * replaces made refresh the slowest route (about 10x the baseline's CPU per request, issue 12).
   */
  async rotateRefreshToken<J = never>(
    presented: string,
    graceSeconds: number,
    onReuse?: (db: EntityManager, outcome: Extract<RefreshOutcome, { status: 'reused' }>) => Promise<void>,
    join?: RotationJoin<J>,
  ): Promise<RefreshOutcome<J>> {
    const { token: successor, hash } = newSecretToken();
    const presentedHash = hashToken(presented);
    const { rows } = await this.pool.query<RotationRow>({
      name: join ? `tokens_rotate_refresh_${join.name}` : 'tokens_rotate_refresh',
      text: join ? this.joinedStatement(join) : ROTATE,
      values: [presentedHash, hash, sealSuccessor(presented, successor, presentedHash)],
    });
    const row = rows[0];
    if (!row || !row.live) return { status: 'invalid' };
    const joined = join ? join.read(row as unknown as Record<string, unknown>) : null;
    const rotated = { status: 'rotated', sessionId: row.session_id, userId: row.user_id, joined } as const;
    if (row.rotated_now) return { ...rotated, refreshToken: successor };

    const { rows: before } = await this.pool.query<{ successor_sealed: Buffer | null; within_grace: boolean; rotated: boolean }>({
      name: 'tokens_successor_of',
      text: SUCCESSOR_OF,
      values: [row.id, graceSeconds],
    });
    const next = before[0];
    if (!next) return { status: 'invalid' }; // the session's chain was purged meanwhile
    const kept =
      next.within_grace && !next.rotated && next.successor_sealed ? openSuccessor(presented, next.successor_sealed, row.id) : undefined;
    if (kept !== undefined) return { ...rotated, refreshToken: kept };
    const reused = { status: 'reused', sessionId: row.session_id, userId: row.user_id } as const;
    await this.dataSource.transaction(async (db) => {
      await this.revokeSession(row.session_id, 'refresh_reuse', db);
      await db.getRepository(RefreshToken).update({ sessionId: row.session_id }, { successorSealed: null });
      await onReuse?.(db, reused);
    });
    return reused;
  }

  private joinedStatement(join: RotationJoin<unknown>): string {
    let text = this.joinedStatements.get(join.name);
    if (text === undefined) this.joinedStatements.set(join.name, (text = rotationStatement(join)));
    return text;
  }

  /** Seals whose grace window has ended can never be used: erased (by the database's clock, the one created_at is written with). */
  private async eraseLapsedSeals(graceSeconds: number, manager: EntityManager): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshToken)
      .set({ successorSealed: null })
      .where('successor_sealed IS NOT NULL AND created_at < now() - make_interval(secs => :grace)', { grace: graceSeconds })
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
    await this.eraseLapsedSeals(this.config.auth.refreshReuseGrace, this.dataSource.manager);
    return { sessions: (sessions.affected ?? 0) + (revoked.affected ?? 0), oneTimeTokens: oneTime.affected ?? 0 };
  }
}
