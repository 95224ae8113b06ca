import { sessionNamedBy } from '../src/tokens/refresh-token';
import { openSuccessor } from '../src/tokens/sealed-successor';
import { hashToken, newSecretToken } from '../src/tokens/secret-token';
import type { TokenPurpose } from '../src/tokens/one-time-token.entity';
import { Session } from '../src/tokens/session.entity';
import { LINK_TOKEN_MESSAGES } from '../src/tokens/tokens.errors';
import type { RefreshOutcome } from '../src/tokens/tokens.service';
import {
  ageRotation,
  blockedOrFinished,
  expireLink,
  expireSession,
  inTransaction,
  lockWaiters,
  startServices,
  UNKNOWN_LINK_TOKEN,
  type TestServices,
} from './support';

/** The grace window these tests pass to rotateRefreshToken (the app's default, REFRESH_REUSE_GRACE). */
const GRACE = 10;
const PURPOSES: TokenPurpose[] = ['activation', 'password_reset', 'email_change'];

describe('TokensService on the real database (no HTTP)', () => {
  let s: TestServices;
  beforeAll(async () => {
    s = await startServices();
  });
  afterAll(async () => {
    await s?.close();
  });

  const rotate = (token: string) => s.tokens.rotateRefreshToken(token, GRACE);
  /** The successor a rotation handed out; fails the test when it was not a rotation. */
  const successorOf = (outcome: RefreshOutcome): string => {
    expect(outcome.status).toBe('rotated');
    return (outcome as Extract<RefreshOutcome, { status: 'rotated' }>).refreshToken;
  };
  async function newSession() {
    const userId = await s.newUserId();
    const { session, refreshToken } = await s.tokens.createSession(userId, 3600);
    return { userId, sessionId: session.id, refreshToken };
  }
  const sessionRow = (id: string) => s.dataSource.getRepository(Session).findOneByOrFail({ id });

  describe('rotateRefreshToken', () => {
    it('exchanges the presented token for a successor of the same session, and the successor rotates in turn', async () => {
      const { userId, sessionId, refreshToken } = await newSession();
      const first = await rotate(refreshToken);
      expect(first).toMatchObject({ status: 'rotated', sessionId, userId });
      const successor = successorOf(first);
      expect(successor).not.toBe(refreshToken);
      expect(await rotate(successor)).toMatchObject({ status: 'rotated', sessionId, userId });
      expect(await s.tokens.isSessionActive(sessionId, userId)).toBe(true);
    });

    it('stops accepting the presented token after the grace window: presenting it again is reuse and ends the session', async () => {
      const { userId, sessionId, refreshToken } = await newSession();
      const successor = successorOf(await rotate(refreshToken));
      await ageRotation(s.dataSource, refreshToken, GRACE + 1);

      expect(await rotate(refreshToken)).toEqual({ status: 'reused', sessionId, userId });
      // The whole chain is dead: the successor too, whoever holds it.
      expect(await rotate(successor)).toEqual({ status: 'invalid' });
      expect(await s.tokens.isSessionActive(sessionId, userId)).toBe(false);
      expect((await sessionRow(sessionId)).revokeReason).toBe('refresh_reuse');
    });

    it('gives a token re-presented within the grace window (a second tab) the same successor: the session never forks', async () => {
      const { userId, sessionId, refreshToken } = await newSession();
      const first = successorOf(await rotate(refreshToken));
      await ageRotation(s.dataSource, refreshToken, GRACE - 1);
      const late = await rotate(refreshToken);
      expect(late).toMatchObject({ status: 'rotated', sessionId, userId });
      expect(successorOf(late)).toBe(first);
      expect(await rotate(first)).toMatchObject({ status: 'rotated', sessionId });
      expect(await s.tokens.isSessionActive(sessionId, userId)).toBe(true);
    });

    it('treats an older token of the chain, presented after its window, as reuse', async () => {
      const { userId, sessionId, refreshToken: oldest } = await newSession();
      const middle = successorOf(await rotate(oldest));
      const newest = successorOf(await rotate(middle));
      await ageRotation(s.dataSource, oldest, GRACE + 1);

      expect(await rotate(oldest)).toEqual({ status: 'reused', sessionId, userId });
      expect(await rotate(newest)).toEqual({ status: 'invalid' });
      expect(await rotate(middle)).toEqual({ status: 'invalid' });
    });

    it('gives two simultaneous rotations of one token one and the same working successor (two tabs)', async () => {
      const { sessionId, refreshToken } = await newSession();
      const [a, b] = await Promise.all([rotate(refreshToken), rotate(refreshToken)]);
      expect(successorOf(a)).toBe(successorOf(b));
      expect(await rotate(successorOf(a))).toMatchObject({ status: 'rotated', sessionId });
    });

    it('queues simultaneous presentations on the session row: all get one successor, and the session keeps one live token', async () => {
      const { sessionId, refreshToken } = await newSession();
      // Hold the session row so every presentation is in flight at once (they finish too fast to
      // overlap by chance): each rotation's update waits on the row's lock. Then let go: the first
      // rotates, and the others find their token replaced a moment ago and get the same successor.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let locked!: () => void;
      const holding = new Promise<void>((resolve) => (locked = resolve));
      const holder = inTransaction(s.dataSource, async (db) => {
        await db.query('SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE', [sessionId]);
        locked();
        await held;
      });
      await Promise.race([holding, holder.result]);
      const outcomes = Promise.allSettled(Array.from({ length: 5 }, () => rotate(refreshToken)));
      try {
        await lockWaiters(s.dataSource, 'previous_hash = s.token_hash', 5);
      } finally {
        release(); // also when the wait failed: nothing is left queued behind the test
        await holder.result;
      }
      const settled = await outcomes;
      expect(settled.map((outcome) => outcome.status)).toEqual(Array(5).fill('fulfilled'));
      const successors = new Set(settled.map((outcome) => successorOf((outcome as PromiseFulfilledResult<RefreshOutcome>).value)));
      expect(successors.size).toBe(1);
      const [row] = await s.dataSource.query(`SELECT token_hash, previous_hash FROM sessions WHERE id = $1`, [sessionId]);
      expect((row.token_hash as Buffer).equals(hashToken([...successors][0]))).toBe(true);
      expect((row.previous_hash as Buffer).equals(hashToken(refreshToken))).toBe(true);
      expect(await rotate([...successors][0])).toMatchObject({ status: 'rotated', sessionId });
    });

    it('keeps one seal per session, of the live token under the one it replaced; a grandparent within its window is reuse', async () => {
      const { sessionId, refreshToken } = await newSession();
      const chain = [refreshToken];
      for (let i = 0; i < 4; i++) chain.push(successorOf(await rotate(chain[i])));
      const hex = (b: Buffer | null) => b?.toString('hex') ?? null;
      const [row]: { token_hash: Buffer; previous_hash: Buffer; successor_sealed: Buffer }[] = await s.dataSource.query(
        `SELECT token_hash, previous_hash, successor_sealed FROM sessions WHERE id = $1`,
        [sessionId],
      );
      expect(hex(row.token_hash)).toBe(hex(hashToken(chain[4])));
      expect(hex(row.previous_hash)).toBe(hex(hashToken(chain[3])));
      const live = { sessionId, hash: row.token_hash };
      expect(openSuccessor(chain[3], row.successor_sealed, live)).toBe(chain[4]);
      expect(openSuccessor(chain[2], row.successor_sealed, live)).toBeUndefined();
      // Every retired token is in the history, in order; the live one is not.
      const history: { token_hash: Buffer }[] = await s.dataSource.query(
        `SELECT token_hash FROM refresh_token_history WHERE session_id = $1 ORDER BY created_at`,
        [sessionId],
      );
      expect(history.map((h) => hex(h.token_hash))).toEqual(chain.slice(0, 4).map((token) => hex(hashToken(token))));
      // The grandparent, re-presented within its window, can no longer fork the session: reuse.
      expect(await rotate(chain[2])).toMatchObject({ status: 'reused', sessionId });
      const [after] = await s.dataSource.query(`SELECT successor_sealed FROM sessions WHERE id = $1`, [sessionId]);
      expect(after.successor_sealed).toBeNull(); // reuse erases the seal
    });

    it('keeps a seal for its window only: the purge erases the lapsed ones and leaves one still in its window', async () => {
      const lapsed = await newSession();
      const current = await newSession();
      successorOf(await rotate(lapsed.refreshToken));
      successorOf(await rotate(current.refreshToken));
      await ageRotation(s.dataSource, lapsed.refreshToken, GRACE + 1);
      await s.tokens.purgeExpired();
      const sealed: { id: string }[] = await s.dataSource.query(
        'SELECT id FROM sessions WHERE id = ANY($1::uuid[]) AND successor_sealed IS NOT NULL',
        [[lapsed.sessionId, current.sessionId]],
      );
      expect(sealed.map((row) => row.id)).toEqual([current.sessionId]);
    });

    it('names its session in the token, and only the whole token counts: a forged secret for a real session is invalid, not reuse', async () => {
      const { userId, sessionId, refreshToken } = await newSession();
      expect(sessionNamedBy(refreshToken)).toBe(sessionId);
      const forged = refreshToken.slice(0, 22) + 'A'.repeat(43);
      expect(sessionNamedBy(forged)).toBe(sessionId);
      expect(await rotate(forged)).toEqual({ status: 'invalid' });
      expect(await s.tokens.isSessionActive(sessionId, userId)).toBe(true);
      expect(await rotate(refreshToken)).toMatchObject({ status: 'rotated', sessionId });
    });

    it('still takes a token from before tokens named their session (found by its hash in the history), and its reuse', async () => {
      const { userId, sessionId } = await newSession();
      // What the migration leaves for a live chain of the previous layout: the live hash in the row
      // and in the history (the token names no session).
      const legacy = newSecretToken();
      await s.dataSource.query(`UPDATE sessions SET token_hash = $2 WHERE id = $1`, [sessionId, legacy.hash]);
      await s.dataSource.query(`INSERT INTO refresh_token_history (token_hash, session_id) VALUES ($1, $2)`, [legacy.hash, sessionId]);
      expect(sessionNamedBy(legacy.token)).toBeNull();
      const successor = successorOf(await rotate(legacy.token));
      expect(sessionNamedBy(successor)).toBe(sessionId);
      expect(successorOf(await rotate(legacy.token))).toBe(successor); // within the window: the same one
      expect(await s.tokens.findRefreshTokenOwner(legacy.token)).toBe(userId);
      await ageRotation(s.dataSource, legacy.token, GRACE + 1);
      expect(await rotate(legacy.token)).toEqual({ status: 'reused', sessionId, userId });
      expect(await rotate(successor)).toEqual({ status: 'invalid' });
    });

    it('finds the owner of a live token and of a retired one; nobody for a forged one', async () => {
      const { userId, refreshToken } = await newSession();
      const successor = successorOf(await rotate(refreshToken));
      expect(await s.tokens.findRefreshTokenOwner(successor)).toBe(userId);
      expect(await s.tokens.findRefreshTokenOwner(refreshToken)).toBe(userId);
      expect(await s.tokens.findRefreshTokenOwner(successor.slice(0, 22) + 'A'.repeat(43))).toBeNull();
      expect(await s.tokens.findRefreshTokenOwner('not-a-refresh-token')).toBeNull();
    });

    it('answers an unknown token, a token of an expired session and one of a revoked session with invalid', async () => {
      expect(await rotate('not-a-refresh-token')).toEqual({ status: 'invalid' });

      const expired = await newSession();
      await expireSession(s.dataSource, expired.sessionId);
      expect(await rotate(expired.refreshToken)).toEqual({ status: 'invalid' });
      expect(await s.tokens.isSessionActive(expired.sessionId, expired.userId)).toBe(false);

      const revoked = await newSession();
      expect(await s.tokens.revokeSession(revoked.sessionId, 'logout')).toBe(true);
      expect(await s.tokens.revokeSession(revoked.sessionId, 'logout')).toBe(false);
      expect(await rotate(revoked.refreshToken)).toEqual({ status: 'invalid' });
      // Refused, not treated as reuse: the reason the session ended stays the real one.
      expect((await sessionRow(revoked.sessionId)).revokeReason).toBe('logout');
    });
  });

  describe('revokeUserSessions', () => {
    it('ends every live session of the user but the one kept, and no one else’s', async () => {
      const userId = await s.newUserId();
      const [kept, ended] = await Promise.all([s.tokens.createSession(userId, 3600), s.tokens.createSession(userId, 3600)]);
      const stranger = await newSession();
      expect(await s.tokens.revokeUserSessions(userId, 'password_change', kept.session.id)).toEqual([ended.session.id]);
      expect(await s.tokens.isSessionActive(kept.session.id, userId)).toBe(true);
      expect(await s.tokens.isSessionActive(ended.session.id, userId)).toBe(false);
      expect((await sessionRow(ended.session.id)).revokeReason).toBe('password_change');
      expect(await rotate(ended.refreshToken)).toEqual({ status: 'invalid' });
      expect(await s.tokens.isSessionActive(stranger.sessionId, stranger.userId)).toBe(true);

      expect(await s.tokens.revokeUserSessions(userId, 'deleted')).toEqual([kept.session.id]);
      expect(await s.tokens.isSessionActive(kept.session.id, userId)).toBe(false);
    });
  });

  describe('consume (the one link-token check)', () => {
    const consume = (token: string, purpose: TokenPurpose) => s.dataSource.transaction((db) => s.tokens.consume(token, purpose, db));
    const refusal = (purpose: TokenPurpose, problem: 'invalid' | 'expired') => ({
      status: 400,
      reasons: [{ key: LINK_TOKEN_MESSAGES[purpose][problem] }],
    });
    const issue = async (purpose: TokenPurpose, options: { replace?: boolean; newEmail?: string } = {}, userId?: string) => {
      const owner = userId ?? (await s.newUserId());
      return { userId: owner, token: await s.tokens.issueOneTimeToken(owner, purpose, 3600, options) };
    };

    it.each(PURPOSES)('%s: accepts a fresh token once, for its owner', async (purpose) => {
      const { userId, token } = await issue(purpose, { newEmail: 'new@example.com' });
      const consumed = await consume(token, purpose);
      expect(consumed.repeat).toBe(false);
      expect(consumed.token).toMatchObject({ userId, purpose, newEmail: 'new@example.com' });
    });

    it.each(PURPOSES)('%s: refuses an unknown token with the purpose’s "invalid" message', async (purpose) => {
      await expect(consume(UNKNOWN_LINK_TOKEN, purpose)).rejects.toMatchObject(refusal(purpose, 'invalid'));
    });

    it.each(PURPOSES)('%s: refuses an expired token with the purpose’s "expired" message', async (purpose) => {
      const { token } = await issue(purpose);
      await expireLink(s.dataSource, token);
      await expect(consume(token, purpose)).rejects.toMatchObject(refusal(purpose, 'expired'));
    });

    it.each([
      ['activation', true],
      ['email_change', true],
      ['password_reset', false],
    ] as [TokenPurpose, boolean][])('%s: a second use is a repeat click (%s) or refused', async (purpose, repeatable) => {
      const { token } = await issue(purpose);
      await consume(token, purpose);
      if (repeatable) {
        expect((await consume(token, purpose)).repeat).toBe(true);
      } else {
        await expect(consume(token, purpose)).rejects.toMatchObject(refusal(purpose, 'invalid'));
      }
    });

    it.each(PURPOSES)('%s: is bound to its purpose: refused as any other, and still good for its own', async (purpose) => {
      const { token } = await issue(purpose);
      for (const other of PURPOSES.filter((p) => p !== purpose)) {
        await expect(consume(token, other)).rejects.toMatchObject(refusal(other, 'invalid'));
      }
      expect((await consume(token, purpose)).repeat).toBe(false);
    });

    it('leaves the token unspent when the transaction that consumed it rolls back', async () => {
      const { token } = await issue('password_reset');
      const failure = new Error('the rest of the flow failed');
      await expect(
        s.dataSource.transaction(async (db) => {
          await s.tokens.consume(token, 'password_reset', db);
          throw failure;
        }),
      ).rejects.toBe(failure);
      expect((await consume(token, 'password_reset')).repeat).toBe(false);
    });

    it('kills older unused tokens of that purpose (and only those) when issued with replace', async () => {
      const { userId, token: old } = await issue('activation');
      const { token: reset } = await issue('password_reset', {}, userId);
      const { token: fresh } = await issue('activation', { replace: true }, userId);
      await expect(consume(old, 'activation')).rejects.toMatchObject(refusal('activation', 'invalid'));
      expect((await consume(fresh, 'activation')).repeat).toBe(false);
      expect((await consume(reset, 'password_reset')).repeat).toBe(false);
    });

    it('lets only one of two simultaneous uses of a reset token through: the second waits for the first, then sees it used', async () => {
      const { token } = await issue('password_reset');
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let consumed!: () => void;
      const firstHasIt = new Promise<void>((resolve) => (consumed = resolve));
      // The first consumes and keeps its transaction open until the second has either queued on
      // the row lock (correct) or gone through on its own (no lock: both would spend the token).
      const first = inTransaction(s.dataSource, async (db) => {
        await s.tokens.consume(token, 'password_reset', db);
        consumed();
        await held;
      });
      await Promise.race([firstHasIt, first.result]);
      const second = inTransaction(s.dataSource, (db) => s.tokens.consume(token, 'password_reset', db));
      expect(await blockedOrFinished(s.dataSource, second)).toBe('blocked');
      release();
      await first.result;
      await expect(second.result).rejects.toMatchObject(refusal('password_reset', 'invalid'));
    });
  });
});
