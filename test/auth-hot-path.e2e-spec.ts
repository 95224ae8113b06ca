import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { registerActiveUser, startTestApp, type TestApp } from './support/app';
import { bearer, claims, login, refresh } from './support/accounts';
import { driverPool } from '../src/database/data-source';
import { expireSession, revokeSessionAgo } from './support/db';
import { recordQueries } from './support/queries';

/**
 * The guard reads the session and the user in one query and hands the row to /me and /:id (self).
 * These pin down what that query must still refuse, and that the row it hands over is current.
 */
describe('the authenticated hot path: one query for the session and the user', () => {
  let t: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  it('/me and /:id (self) answer from the row read with the session check, as it is now', async () => {
    const user = await registerActiveUser(t);
    await db.query(`UPDATE users SET name = 'Nama Baru', no_tlp = '081234567890' WHERE id = $1`, [user.id]);
    const me = await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    expect(me.body.data[0]).toMatchObject({ id: user.id, email: user.email, name: 'Nama Baru', no_tlp: '081234567890', role: 'customer' });
    expect(Object.keys(me.body.data[0]).sort()).toEqual(
      ['created_at', 'email', 'gender', 'id', 'is_active', 'name', 'no_tlp', 'role', 'updated_at'].sort(),
    );
    expect(new Date(me.body.data[0].created_at).toISOString()).toBe(me.body.data[0].created_at);
    const self = await t.http.get(`/api/users/${user.id}`).set(bearer(user.accessToken)).expect(200);
    expect(self.body.data[0]).toEqual(me.body.data[0]);
  });

  it('another customer’s id is still 403, through the usual read', async () => {
    const [a, b] = [await registerActiveUser(t), await registerActiveUser(t)];
    await t.http.get(`/api/users/${b.id}`).set(bearer(a.accessToken)).expect(403);
  });

  it('an expired session is 401 although the token itself is still valid', async () => {
    const user = await registerActiveUser(t);
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    await expireSession(db, claims(user.accessToken).sid);
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
  });

  it('a revoked session is 401, and so is a deleted user', async () => {
    const revoked = await registerActiveUser(t);
    await revokeSessionAgo(db, claims(revoked.accessToken).sid, 0);
    await t.http.get('/api/users/me').set(bearer(revoked.accessToken)).expect(401);
    await t.http.get(`/api/users/${revoked.id}`).set(bearer(revoked.accessToken)).expect(401);

    const deleted = await registerActiveUser(t);
    await db.query(`DELETE FROM users WHERE id = $1`, [deleted.id]);
    await t.http.get('/api/users/me').set(bearer(deleted.accessToken)).expect(401);
  });

  it('a session that belongs to another user does not authenticate this one', async () => {
    const [a, b] = [await registerActiveUser(t), await registerActiveUser(t)];
    // Move a's session to b: the token (sub = a) no longer matches the session's owner.
    await db.query(`UPDATE sessions SET user_id = $2 WHERE user_id = $1`, [a.id, b.id]);
    await t.http.get('/api/users/me').set(bearer(a.accessToken)).expect(401);
  });

  it('refresh is one statement through the driver, and answers with the user as it is now', async () => {
    const user = await registerActiveUser(t);
    await db.query(`UPDATE users SET name = 'Nama Segar', gender = 'Perempuan' WHERE id = $1`, [user.id]);
    const pool = driverPool(db);
    const spy = vi.spyOn(pool, 'query');
    let res, calls;
    try {
      res = await refresh(t, user.refreshToken).expect(200);
      calls = [...spy.mock.calls];
    } finally {
      spy.mockRestore();
    }
    const names = calls.map(([config]) => (typeof config === 'object' && config !== null ? (config as { name?: string }).name : config));
    expect(names).toEqual(['tokens_rotate_refresh_with_user']);
    expect(res.body.data[0]).toMatchObject({ id: user.id, email: user.email, name: 'Nama Segar', gender: 'Perempuan', role: 'customer' });
    expect(Object.keys(res.body.data[0]).sort()).toEqual(
      ['created_at', 'email', 'gender', 'id', 'is_active', 'name', 'no_tlp', 'role', 'updated_at'].sort(),
    );
    expect(new Date(res.body.data[0].updated_at).toISOString()).toBe(res.body.data[0].updated_at);
    expect(claims(res.body.access_token)).toMatchObject({ sub: user.id, sid: claims(user.accessToken).sid, role: 'customer' });
  });

  /**
   * Every statement any pooled connection sends while `work` runs, in order, leaving out the
   * background jobs' (the mail outbox's polls and housekeeping, the signing keys' reread): a
   * transaction that touches their tables is dropped whole, BEGIN to COMMIT, and so is the tail of
   * one that began before `work` did.
   */
  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    const sent = await recordQueries(work);
    const background = /mail_outbox|signing_keys/;
    const kept = new Set<number>();
    const open = new Map<Client, number[]>();
    sent.forEach(({ client, text }, index) => {
      const transaction = open.get(client);
      if (/^(START TRANSACTION|BEGIN)/.test(text)) return open.set(client, [index]);
      // The end of a transaction begun before `work` (an outbox poll under way) cannot be told apart.
      if (!transaction) return background.test(text) || /^(COMMIT|ROLLBACK)/.test(text) || kept.add(index);
      transaction.push(index);
      if (!/^(COMMIT|ROLLBACK)/.test(text)) return;
      open.delete(client);
      if (!transaction.some((i) => background.test(sent[i].text))) transaction.forEach((i) => kept.add(i));
    });
    return sent.filter((_, index) => kept.has(index)).map(({ text }) => text);
  }

  it('login is 2 statements: the user, then one for the session (holding its token) and the event', async () => {
    const user = await registerActiveUser(t);
    const statements = await statementsOf(() => login(t, user.email));
    // README, "Per-request costs": the sizing table counts these.
    expect(statements, statements.join('\n')).toHaveLength(2);
    expect(statements[0]).toMatch(/^SELECT .*"password_hash" AS "passwordHash".* FROM users WHERE lower\(email\) = \$1$/);
    expect(statements[1]).toMatch(/^WITH session AS \( INSERT INTO sessions \(id, user_id, expires_at, token_hash, .*INSERT INTO events /);
    // What each login wrote (this one and registerActiveUser's): the session with its first token,
    // and the event naming that session.
    const rows = (await db.query(
      `SELECT s.id, (s.token_hash IS NOT NULL)::int AS tokens,
              (SELECT count(*)::int FROM events e WHERE e.type = 'user.logged_in' AND e.data->>'session_id' = s.id::text) AS events
         FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.email = $1`,
      [user.email],
    )) as Array<{ id: string; tokens: number; events: number }>;
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toMatchObject({ tokens: 1, events: 1 });
  });

  it('/me is the one statement of the session check', async () => {
    const user = await registerActiveUser(t);
    await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200); // the token verified once
    const statements = await statementsOf(() => t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200));
    expect(statements, statements.join('\n')).toHaveLength(1);
    expect(statements[0]).toMatch(/FROM sessions s JOIN users u/);
  });

  it('a refresh token of a deleted user or of a session now someone else’s is 401', async () => {
    const deleted = await registerActiveUser(t);
    await db.query(`DELETE FROM users WHERE id = $1`, [deleted.id]);
    await refresh(t, deleted.refreshToken).expect(401);

    const [a, b] = [await registerActiveUser(t), await registerActiveUser(t)];
    await db.query(`UPDATE sessions SET user_id = $2 WHERE user_id = $1`, [a.id, b.id]);
    const moved = await refresh(t, a.refreshToken).expect(200);
    // The session is b's now: the pair is b's, never a token for a with b's session.
    expect(moved.body.data[0].id).toBe(b.id);
    expect(claims(moved.body.access_token).sub).toBe(b.id);
  });
});
