import { DataSource } from 'typeorm';
import { TokenPurgeScheduler } from '../src/tokens/token-purge.scheduler';
import { hashToken } from '../src/tokens/secret-token';
import {
  ageRotation,
  bearer,
  claims,
  expireLink,
  expireSession,
  login,
  NEW_PASSWORD,
  PASSWORD,
  refresh as refreshRequest,
  registerActiveUser,
  revokeSessionAgo,
  startTestApp,
  TOKEN_INVALID,
  tryLogin,
  uniqueEmail,
  type TestApp,
} from './support';

describe('sessions: refresh, logout, forgot and reset', () => {
  let t: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    // TRUST_PROXY makes X-Forwarded-Host believable to Express, so the link test means something.
    t = await startTestApp({ TRUST_PROXY: '1' });
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const meStatus = async (accessToken: string) => (await t.http.get('/api/users/me').set(bearer(accessToken))).status;
  const refresh = (refreshToken: string) => refreshRequest(t, refreshToken);
  const resetLink = async (email: string, after: number) => {
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    const mail = await t.smtp.waitFor(email, { kind: 'password_reset', after });
    return new URL(mail.link!);
  };

  describe('POST /api/users/refresh', () => {
    it('exchanges a refresh token from the body for a new pair of the same session, with no-store', async () => {
      const user = await registerActiveUser(t);
      const res = await refresh(user.refreshToken).expect(200);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(Object.keys(res.body).sort()).toEqual([
        'access_token',
        'data',
        'error',
        'expires_in',
        'message',
        'refresh_token',
        'token_type',
      ]);
      expect(res.body).toMatchObject({ error: null, message: 'Refresh token berhasil', token_type: 'Bearer', expires_in: 900 });
      expect(res.body.data[0]).toMatchObject({ id: user.id, email: user.email });
      expect(res.body.refresh_token).not.toBe(user.refreshToken);
      expect(claims(res.body.access_token)).toMatchObject({ sub: user.id, typ: 'access', sid: claims(user.accessToken).sid });
      expect(await meStatus(res.body.access_token)).toBe(200);
      await refresh(res.body.refresh_token).expect(200);
    });

    it('accepts the refresh token as Authorization: Bearer', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http.post('/api/users/refresh').set(bearer(user.refreshToken)).expect(200);
      expect(res.body.message).toBe('Refresh token berhasil');
      expect(await meStatus(res.body.access_token)).toBe(200);
    });

    it('refuses a missing, unknown or access token with 401 "Token tidak valid"', async () => {
      const user = await registerActiveUser(t);
      expect((await t.http.post('/api/users/refresh').send({}).expect(401)).body).toEqual(TOKEN_INVALID);
      expect((await refresh('not-a-real-refresh-token').expect(401)).body).toEqual(TOKEN_INVALID);
      expect((await refresh(user.accessToken).expect(401)).body).toEqual(TOKEN_INVALID);
      await t.http.post('/api/users/refresh').set(bearer(user)).expect(401);
      // Nothing of that touched the session.
      await refresh(user.refreshToken).expect(200);
    });

    it('refuses a refresh token used as an access token', async () => {
      const user = await registerActiveUser(t);
      expect(await meStatus(user.refreshToken)).toBe(401);
      await t.http.post('/api/users/logout').set(bearer(user.refreshToken)).expect(401);
    });

    it('gives a late request with the just-rotated token the same successor and a fresh access token (grace window)', async () => {
      const user = await registerActiveUser(t);
      const first = await refresh(user.refreshToken).expect(200);
      await ageRotation(t, user.refreshToken, 9);
      const late = await refresh(user.refreshToken).expect(200);
      // The session never forks: one successor, so one live refresh token.
      expect(late.body.refresh_token).toBe(first.body.refresh_token);
      expect(await meStatus(late.body.access_token)).toBe(200);
      await refresh(late.body.refresh_token).expect(200);
    });

    it('answers two simultaneous refreshes with one token (two tabs) both with 200 and one successor', async () => {
      const user = await registerActiveUser(t);
      const [a, b] = await Promise.all([refresh(user.refreshToken), refresh(user.refreshToken)]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(a.body.refresh_token).toBe(b.body.refresh_token);
      expect(await meStatus(a.body.access_token)).toBe(200);
      expect(await meStatus(b.body.access_token)).toBe(200);
    });

    it('treats reuse after the grace window as theft: the whole session ends, other sessions do not', async () => {
      const user = await registerActiveUser(t);
      const other = await login(t, user.email);
      const child = await refresh(user.refreshToken).expect(200);
      await ageRotation(t, user.refreshToken, 11);

      expect((await refresh(user.refreshToken).expect(401)).body).toEqual(TOKEN_INVALID);
      // The thief's (or the victim's) newer token and every access token of that login are dead.
      await refresh(child.body.refresh_token).expect(401);
      expect(await meStatus(child.body.access_token)).toBe(401);
      expect(await meStatus(user.accessToken)).toBe(401);
      const [session] = await db.query(`SELECT revoke_reason FROM sessions WHERE id = $1`, [claims(user.accessToken).sid]);
      expect(session.revoke_reason).toBe('refresh_reuse');

      expect(await meStatus(other.accessToken)).toBe(200);
      await refresh(other.refreshToken).expect(200);
    });

    it('refuses the refresh token of an expired session', async () => {
      const user = await registerActiveUser(t);
      await expireSession(t, claims(user.accessToken).sid);
      await refresh(user.refreshToken).expect(401);
      expect(await meStatus(user.accessToken)).toBe(401);
    });
  });

  describe('POST /api/users/logout', () => {
    it('ends this session: its refresh and access tokens are refused, a second logout is 401', async () => {
      const user = await registerActiveUser(t);
      const other = await login(t, user.email);
      const res = await t.http.post('/api/users/logout').set(bearer(user)).expect(200);
      expect(res.body).toEqual({ error: null, message: 'Logout berhasil', data: null });

      expect(await meStatus(user.accessToken)).toBe(401);
      expect((await refresh(user.refreshToken).expect(401)).body).toEqual(TOKEN_INVALID);
      const again = await t.http.post('/api/users/logout').set(bearer(user)).expect(401);
      expect(again.body).toEqual({ error: ['Token tidak valid'], message: 'Proses gagal', data: null });

      expect(await meStatus(other.accessToken)).toBe(200);
      await refresh(other.refreshToken).expect(200);
    });

    it('ends every session of the user with { "all": true }', async () => {
      const user = await registerActiveUser(t);
      const second = await login(t, user.email);
      const stranger = await registerActiveUser(t);
      await t.http.post('/api/users/logout').set(bearer(second)).send({ all: true }).expect(200);

      for (const session of [user, second]) {
        expect(await meStatus(session.accessToken)).toBe(401);
        await refresh(session.refreshToken).expect(401);
      }
      expect(await meStatus(stranger.accessToken)).toBe(200);
    });

    it('needs an access token, and "all" must be a boolean', async () => {
      await t.http.post('/api/users/logout').expect(401);
      const user = await registerActiveUser(t);
      const bad = await t.http.post('/api/users/logout').set(bearer(user)).send({ all: 'yes' }).expect(400);
      expect(bad.body.error).toEqual(['All harus bernilai true atau false']);
      expect(await meStatus(user.accessToken)).toBe(200);
    });
  });

  describe('forgot and reset password', () => {
    it('answers 202 with the same body for known and unknown emails; only the known one gets mail', async () => {
      const user = await registerActiveUser(t);
      const unknownEmail = uniqueEmail('nobody');
      const known = await t.http.post('/api/users/password/forgot').send({ email: user.email }).expect(202);
      const unknown = await t.http.post('/api/users/password/forgot').send({ email: unknownEmail }).expect(202);
      expect(unknown.body).toEqual(known.body);
      expect(known.body).toEqual({ error: null, message: 'Jika email terdaftar, link reset password telah dikirim', data: null });
      await t.mailSettled();
      const resets = t.smtp.mailsTo(user.email, { kind: 'password_reset' });
      expect(resets).toHaveLength(1);
      expect(resets[0].subject).toBe('Reset password akun Alat Berat');
      expect(t.smtp.mailsTo(unknownEmail)).toHaveLength(0);
    });

    it('builds the reset link from APP_URL, whatever Host or X-Forwarded-Host the request sends', async () => {
      const user = await registerActiveUser(t);
      const after = t.smtp.mark();
      await t.http
        .post('/api/users/password/forgot')
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .set('X-Forwarded-Proto', 'https')
        .send({ email: user.email })
        .expect(202);
      const mail = await t.smtp.waitFor(user.email, { kind: 'password_reset', after });
      expect(mail.link).toMatch(/^http:\/\/localhost:3000\/api\/users\/password\/reset\?token=[\w-]{43}$/);
      expect(mail.text + mail.html).not.toContain('evil.example');
    });

    it('resets with the JSON route: single use, new password works, every session ends', async () => {
      const user = await registerActiveUser(t);
      const second = await login(t, user.email);
      const link = await resetLink(user.email, t.smtp.mark());
      const token = link.searchParams.get('token')!;

      const res = await t.http
        .post('/api/users/password/reset')
        .send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(200);
      expect(res.body).toEqual({ error: null, message: 'Password berhasil direset', data: null });

      for (const session of [user, second]) {
        expect(await meStatus(session.accessToken)).toBe(401);
        await refresh(session.refreshToken).expect(401);
      }
      await tryLogin(t, user.email, PASSWORD).expect(401);
      await tryLogin(t, user.email, NEW_PASSWORD).expect(200);

      const again = await t.http
        .post('/api/users/password/reset')
        .send({ token, password: 'yetAnother789', confirmation: 'yetAnother789' })
        .expect(400);
      expect(again.body.error).toEqual(['Token reset password tidak valid']);
      await tryLogin(t, user.email, NEW_PASSWORD).expect(200);
    });

    it('serves an HTML form at the link that posts to the reset route, form-encoded', async () => {
      const user = await registerActiveUser(t);
      const link = await resetLink(user.email, t.smtp.mark());
      const token = link.searchParams.get('token')!;

      const form = await t.http.get(`${link.pathname}${link.search}`).set('Accept', 'text/html').expect(200);
      expect(form.headers['content-type']).toMatch(/^text\/html/);
      expect(form.headers['cache-control']).toBe('no-store');
      expect(form.text).toContain('<form method="post" action="http://localhost:3000/api/users/password/reset">');
      expect(form.text).toContain(`<input type="hidden" name="token" value="${token}">`);
      expect(form.text).toMatch(/name="password"[\s\S]*name="confirmation"/);

      // What the browser sends when the form is submitted.
      const done = await t.http
        .post('/api/users/password/reset')
        .type('form')
        .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
        .send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(200);
      expect(done.headers['content-type']).toMatch(/^text\/html/);
      expect(done.text).toContain('Password berhasil direset');
      await tryLogin(t, user.email, NEW_PASSWORD).expect(200);

      const reused = await t.http
        .post('/api/users/password/reset')
        .type('form')
        .set('Accept', 'text/html')
        .send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(400);
      expect(reused.text).toContain('Token reset password tidak valid');
    });

    it('shows a browser posting the form a page when the form is wrong, not JSON', async () => {
      const user = await registerActiveUser(t);
      const token = (await resetLink(user.email, t.smtp.mark())).searchParams.get('token')!;
      const mismatch = await t.http
        .post('/api/users/password/reset')
        .type('form')
        .set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8')
        .send({ token, password: NEW_PASSWORD, confirmation: 'something-else' })
        .expect(400);
      expect(mismatch.headers['content-type']).toMatch(/^text\/html/);
      expect(mismatch.text).toContain('Konfirmasi password tidak sama dengan password');
      // The same mistake from a JSON client is the envelope.
      const json = await t.http.post('/api/users/password/reset').send({ token, password: NEW_PASSWORD, confirmation: 'x' }).expect(400);
      expect(json.body).toEqual({ error: ['Konfirmasi password tidak sama dengan password'], message: 'Proses gagal', data: null });
    });

    it('activates an account that was never activated: the reset link proves the mailbox', async () => {
      const email = uniqueEmail();
      await t.http.post('/api/users').send({ name: 'Hana', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
      await tryLogin(t, email, PASSWORD).expect(403);
      const token = (await resetLink(email, t.smtp.mark())).searchParams.get('token')!;
      await t.http.post('/api/users/password/reset').send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }).expect(200);
      const loggedIn = await tryLogin(t, email, NEW_PASSWORD).expect(200);
      expect(loggedIn.body.data[0].is_active).toBe(true);
    });

    it('binds tokens to their purpose: an activation token cannot reset, a reset token cannot activate', async () => {
      const email = uniqueEmail();
      await t.http.post('/api/users').send({ name: 'Gita', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
      const activation = new URL((await t.smtp.waitFor(email, { kind: 'activation' })).link!);
      const activationToken = activation.pathname.split('/').pop()!;

      const wrong = await t.http
        .post('/api/users/password/reset')
        .send({ token: activationToken, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(400);
      expect(wrong.body.error).toEqual(['Token reset password tidak valid']);
      await t.http.post(activation.pathname).expect(200);
      await tryLogin(t, email, PASSWORD).expect(200);

      const resetToken = (await resetLink(email, t.smtp.mark())).searchParams.get('token')!;
      const asActivation = await t.http.get(`/api/users/activate/${resetToken}`).set('Accept', 'application/json').expect(400);
      expect(asActivation.body.error).toEqual(['Token aktivasi tidak valid']);
      await t.http
        .post('/api/users/password/reset')
        .send({ token: resetToken, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(200);
    });

    it('refuses an expired link and a superseded one; a failed validation does not spend the token', async () => {
      const user = await registerActiveUser(t);
      const old = (await resetLink(user.email, t.smtp.mark())).searchParams.get('token')!;
      const fresh = (await resetLink(user.email, t.smtp.mark())).searchParams.get('token')!;
      expect(fresh).not.toBe(old);
      const superseded = await t.http
        .post('/api/users/password/reset')
        .send({ token: old, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(400);
      expect(superseded.body.error).toEqual(['Token reset password tidak valid']);

      const mismatch = await t.http
        .post('/api/users/password/reset')
        .send({ token: fresh, password: NEW_PASSWORD, confirmation: 'something-else' })
        .expect(400);
      expect(mismatch.body.error).toEqual(['Konfirmasi password tidak sama dengan password']);

      await expireLink(t, fresh);
      const expired = await t.http
        .post('/api/users/password/reset')
        .send({ token: fresh, password: NEW_PASSWORD, confirmation: NEW_PASSWORD })
        .expect(400);
      expect(expired.body.error).toEqual(['Link reset password sudah expired']);
      await tryLogin(t, user.email, PASSWORD).expect(200);
    });
  });

  describe('purge of ended sessions', () => {
    it('deletes expired and long-revoked sessions and expired link tokens, and keeps live ones', async () => {
      const live = await registerActiveUser(t);
      const expired = await registerActiveUser(t);
      const revoked = await registerActiveUser(t);
      const recentlyRevoked = await registerActiveUser(t);
      const sid = (user: { accessToken: string }) => claims(user.accessToken).sid;
      // A refresh each, so both sessions have a retired token in the history.
      for (const user of [live, expired]) {
        await t.http.post('/api/users/refresh').send({ refresh_token: user.refreshToken }).expect(200);
      }
      await expireSession(t, sid(expired));
      await revokeSessionAgo(t, sid(revoked), 2 * 24 * 3600);
      await revokeSessionAgo(t, sid(recentlyRevoked), 3600);
      const token = (await resetLink(live.email, t.smtp.mark())).searchParams.get('token')!;
      await expireLink(t, token);

      await t.app.get(TokenPurgeScheduler).run();

      const left = await db.query(`SELECT id FROM sessions WHERE id = ANY($1::uuid[])`, [
        [live, expired, revoked, recentlyRevoked].map(sid),
      ]);
      expect(left.map((row: { id: string }) => row.id).sort()).toEqual([sid(live), sid(recentlyRevoked)].sort());
      const history = (user: { accessToken: string }) =>
        db.query(`SELECT 1 FROM refresh_token_history WHERE session_id = $1`, [sid(user)]) as Promise<unknown[]>;
      expect(await history(expired)).toHaveLength(0);
      expect(await history(live)).toHaveLength(1);
      expect(await db.query(`SELECT 1 FROM one_time_tokens WHERE token_hash = $1`, [hashToken(token)])).toHaveLength(0);
      expect(await meStatus(live.accessToken)).toBe(200);
    });
  });
});

describe('sessions: PASSWORD_RESET_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ PASSWORD_RESET_URL: 'https://app.example.com/reset-password' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends the reset link to the frontend page when it is set, and the token from it works', async () => {
    const user = await registerActiveUser(t);
    await t.http.post('/api/users/password/forgot').set('Host', 'evil.example').send({ email: user.email }).expect(202);
    const mail = await t.smtp.waitFor(user.email, { kind: 'password_reset' });
    expect(mail.link).toMatch(/^https:\/\/app\.example\.com\/reset-password\?token=[\w-]{43}$/);
    const token = new URL(mail.link!).searchParams.get('token')!;
    await t.http.post('/api/users/password/reset').send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }).expect(200);
    await tryLogin(t, user.email, NEW_PASSWORD).expect(200);
  });
});
