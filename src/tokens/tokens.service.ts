import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager, IsNull, LessThan } from 'typeorm';
import { OneTimeToken, type TokenPurpose } from './one-time-token.entity';
import { RefreshToken } from './refresh-token.entity';
import { hashToken, newSecretToken } from './secret-token';
import { BadLinkTokenError } from './tokens.errors';
import { Session } from './session.entity';

/** A link token accepted by `consume`: `repeat` when it had been used before (a second click). */
export interface ConsumedToken {
  token: OneTimeToken;
  repeat: boolean;
}

/** Purposes whose second click still reports the outcome (mail scanners open links first). */
const REPEATABLE: Record<TokenPurpose, boolean> = { activation: true, email_change: true, password_reset: false };

export type RefreshOutcome =
  | { status: 'rotated'; sessionId: string; userId: string; refreshToken: string }
  | { status: 'invalid' }
  | { status: 'reused'; sessionId: string; userId: string };

/**
 * Sessions, their refresh-token chains and the one-time tokens sent by email. Deals in user ids
 * only; it knows nothing of users beyond that.
 */
@Injectable()
export class TokensService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private manager(manager?: EntityManager): EntityManager {
    return manager ?? this.dataSource.manager;
  }

  /**
   * A new login: a session and its first refresh token, in one statement (one round trip, one
   * commit; TypeORM's save + insert took five round trips and two commits).
   */
  async createSession(userId: string, ttlSeconds: number, manager?: EntityManager): Promise<{ session: Session; refreshToken: string }> {
    const { token, hash } = newSecretToken();
    const rows: Array<{ id: string; created_at: Date; expires_at: Date }> = await this.manager(manager).query(
      `WITH session AS (
         INSERT INTO sessions (user_id, expires_at) VALUES ($1, now() + make_interval(secs => $2)) RETURNING id, created_at, expires_at
       ), token AS (
         INSERT INTO refresh_tokens (session_id, token_hash) SELECT id, $3 FROM session
       )
       SELECT id, created_at, expires_at FROM session`,
      [userId, ttlSeconds, hash],
    );
    const session = Object.assign(new Session(), {
      id: rows[0].id,
      userId,
      createdAt: rows[0].created_at,
      expiresAt: rows[0].expires_at,
      revokedAt: null,
      revokeReason: null,
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

  async revokeSession(sessionId: string, reason: string, manager?: EntityManager): Promise<boolean> {
    const result = await this.manager(manager)
      .getRepository(Session)
      .update({ id: sessionId, revokedAt: IsNull() }, { revokedAt: new Date(), revokeReason: reason });
    return (result.affected ?? 0) > 0;
  }

  /** Ends every live session of a user, except `keepSessionId` when given. */
  async revokeUserSessions(userId: string, reason: string, keepSessionId?: string, manager?: EntityManager): Promise<number> {
    const query = this.manager(manager)
      .createQueryBuilder()
      .update(Session)
      .set({ revokedAt: () => 'now()', revokeReason: reason })
      .where('user_id = :userId AND revoked_at IS NULL', { userId });
    if (keepSessionId) query.andWhere('id <> :keepSessionId', { keepSessionId });
    const result = await query.execute();
    return result.affected ?? 0;
  }

  /**
   * Exchanges a refresh token for a new one. A token already rotated within `graceSeconds` still
   * gets a working pair (concurrent tabs); later, it counts as stolen and the session is revoked.
   */
  async rotateRefreshToken(presented: string, graceSeconds: number): Promise<RefreshOutcome> {
    return this.dataSource.transaction(async (db) => {
      const tokens = db.getRepository(RefreshToken);
      // Lock the row: two requests with one token serialise here instead of racing.
      const current = await tokens
        .createQueryBuilder('token')
        .setLock('pessimistic_write')
        .where('token.token_hash = :hash', { hash: hashToken(presented) })
        .getOne();
      if (!current) return { status: 'invalid' } as const;
      const session = await db.getRepository(Session).findOneBy({ id: current.sessionId });
      if (!session || session.revokedAt || session.expiresAt.getTime() <= Date.now()) return { status: 'invalid' } as const;

      if (current.rotatedAt) {
        const age = (Date.now() - current.rotatedAt.getTime()) / 1000;
        if (age > graceSeconds) {
          await this.revokeSession(session.id, 'refresh_reuse', db);
          return { status: 'reused', sessionId: session.id, userId: session.userId } as const;
        }
      } else {
        await tokens.update({ id: current.id }, { rotatedAt: new Date() });
      }
      const { token, hash } = newSecretToken();
      await tokens.insert({ sessionId: session.id, tokenHash: hash, parentId: current.id });
      return { status: 'rotated', sessionId: session.id, userId: session.userId, refreshToken: token } as const;
    });
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
    return { sessions: (sessions.affected ?? 0) + (revoked.affected ?? 0), oneTimeTokens: oneTime.affected ?? 0 };
  }
}
