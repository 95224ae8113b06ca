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
  within_grace: boolean;
  successor_sealed: Buffer | null;
}

/**
 * One refresh, one round trip: $1 the presented token's hash, $2 the successor's hash, $3 the
 * successor sealed under the presented token, $4 the grace window in seconds. The presented row is
 * locked (FOR UPDATE OF t): a concurrent presentation waits here, then rereads the row as the
 * first left it (rotated) and takes the grace branch. When the row is unrotated and its session
 * live, the same statement inserts the successor, marks the row rotated with the seal, erases the
 * seal of the token before it (its parent: every rotation erases its parent's, so that is the only
 * other seal a session can hold, and the token before this one is now an old one) and moves the
 * session's last use (refreshes only: checking an access token stays a read). One clock: the
 * database's now(), for rotated_at and for the window. A `RotationJoin` adds its row to the answer.
 */
function rotationStatement(join?: Pick<RotationJoin<unknown>, 'columns' | 'join'>): string {
  return `
  WITH cur AS (
    SELECT t.id, t.session_id, t.parent_id, t.rotated_at, t.successor_sealed, s.user_id,
           (s.revoked_at IS NULL AND s.expires_at > now()) AS live
      FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id
     WHERE t.token_hash = $1
       FOR UPDATE OF t
  ), fresh AS (
    SELECT id, session_id, parent_id FROM cur WHERE live AND rotated_at IS NULL
  ), successor AS (
    INSERT INTO refresh_tokens (session_id, token_hash, parent_id) SELECT session_id, $2, id FROM fresh
  ), rotated AS (
    UPDATE refresh_tokens t SET rotated_at = now(), successor_sealed = $3 FROM fresh WHERE t.id = fresh.id
  ), older AS (
    UPDATE refresh_tokens t SET successor_sealed = NULL
      FROM fresh WHERE t.id = fresh.parent_id AND t.successor_sealed IS NOT NULL
  ), used AS (
    UPDATE sessions s SET last_used_at = now() FROM fresh WHERE s.id = fresh.session_id
  )
  SELECT cur.id, cur.session_id, cur.user_id, cur.live, cur.successor_sealed,
         EXISTS (SELECT 1 FROM fresh) AS rotated_now,
         (cur.rotated_at >= now() - make_interval(secs => $4::double precision)) AS within_grace${
           join
             ? `,
         ${join.columns}`
             : ''
         }
    FROM cur${join ? ` ${join.join}` : ''}`;
}

const ROTATE = rotationStatement();

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
   * statement (one round trip, one commit; TypeORM's save + insert took five round trips and two commits).
   */
  async createSession(
    userId: string,
    ttlSeconds: number,
    device: SessionDevice = {},
    manager?: EntityManager,
  ): Promise<{ session: Session; refreshToken: string }> {
    const { token, hash } = newSecretToken();
    const rows: Array<{ id: string; created_at: Date; expires_at: Date; last_used_at: Date }> = await this.manager(manager).query(
      `WITH session AS (
         INSERT INTO sessions (user_id, expires_at, user_agent, ip, last_used_at)
         VALUES ($1, now() + make_interval(secs => $2), $4, $5, now()) RETURNING id, created_at, expires_at, last_used_at
       ), token AS (
         INSERT INTO refresh_tokens (session_id, token_hash) SELECT id, $3 FROM session
       )
       SELECT id, created_at, expires_at, last_used_at FROM session`,
      [userId, ttlSeconds, hash, clip(device.userAgent, USER_AGENT_MAX), clip(device.ip, IP_MAX)],
    );
    const session = Object.assign(new Session(), {
      id: rows[0].id,
      userId,
      createdAt: rows[0].created_at,
      expiresAt: rows[0].expires_at,
      revokedAt: null,
      revokeReason: null,
      userAgent: clip(device.userAgent, USER_AGENT_MAX),
      ip: clip(device.ip, IP_MAX),
      lastUsedAt: rows[0].last_used_at,
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
   * Exchanges a refresh token for a new one, in one statement (ROTATE, above): the row is locked,
   * so presentations of one token queue there. The first rotates it and keeps the successor sealed
   * under the presented token (sealed-successor.ts); a presentation of the just-rotated token within
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
    const { rows } = await this.pool.query<RotationRow>({
      name: join ? `tokens_rotate_refresh_${join.name}` : 'tokens_rotate_refresh',
      text: join ? this.joinedStatement(join) : ROTATE,
      values: [hashToken(presented), hash, sealSuccessor(presented, successor), graceSeconds],
    });
    const row = rows[0];
    if (!row || !row.live) return { status: 'invalid' };
    const joined = join ? join.read(row as unknown as Record<string, unknown>) : null;
    const rotated = { status: 'rotated', sessionId: row.session_id, userId: row.user_id, joined } as const;
    if (row.rotated_now) return { ...rotated, refreshToken: successor };

    const kept = row.within_grace && row.successor_sealed ? openSuccessor(presented, row.successor_sealed, row.id) : undefined;
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

  /** Seals whose grace window has ended can never be used: erased (by the database's clock, the one rotated_at is written with). */
  private async eraseLapsedSeals(graceSeconds: number, manager: EntityManager): Promise<number> {
    const result = await manager
      .createQueryBuilder()
      .update(RefreshToken)
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
    await this.eraseLapsedSeals(this.config.auth.refreshReuseGrace, this.dataSource.manager);
    return { sessions: (sessions.affected ?? 0) + (revoked.affected ?? 0), oneTimeTokens: oneTime.affected ?? 0 };
  }
}
