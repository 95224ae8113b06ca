import { DataSource } from 'typeorm';
import { sessionNamedBy } from '../src/tokens/refresh-token';
import { PASSWORD, registerActiveUser, startTestApp, uniqueEmail, type TestApp } from './support/app';
import { bearer } from './support/accounts';

/**
 * The two original documents' own requests, replayed as literally as the contract allows (API.md,
 * "The original documents' own requests"), each asserting what the README's "Differences from the
 * original spec" table says of it. "spec" is the Users API Specification, "route list" the
 * user-service route list; the route list's paths are written under the service's `/api` base.
 */
describe('the original documents’ requests', () => {
  let t: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  const JSON_CLIENT = { Accept: 'application/json', 'Content-Type': 'application/json' };
  const activationPath = async (email: string, since: number) => {
    const mail = await t.smtp.waitFor(email, (m) => t.smtp.mails.indexOf(m) >= since);
    return new URL(mail.link!).pathname;
  };
  const sessionLive = async (refreshToken: string) => {
    const rows = await db.query(`SELECT revoked_at FROM sessions WHERE id = $1`, [sessionNamedBy(refreshToken)]);
    return rows[0].revoked_at === null;
  };

  describe('Users API Specification', () => {
    it('register with the spec’s body: its 6-character password is refused (minimum 8), with 8 it is 201', async () => {
      const email = uniqueEmail('wanto10');
      const short = await t.http
        .post('/api/users')
        .set(JSON_CLIENT)
        .send({ name: 'Wanto', email, password: '123456', confirmation: '123456' })
        .expect(400);
      expect(short.body).toEqual({ error: ['Password minimal 8 karakter'], message: 'Proses gagal', data: null });

      const res = await t.http
        .post('/api/users')
        .set(JSON_CLIENT)
        .send({ name: 'Wanto', email, password: '12345678', confirmation: '12345678' })
        .expect(201);
      expect(res.body).toMatchObject({
        error: null,
        message: 'Register akun berhasil',
        data: [{ name: 'Wanto', email, is_active: false }],
      });
    });

    it('activation, login, refresh with Authorization: Bearer <refresh_token>, get, update under /api/v1, delete', async () => {
      const email = uniqueEmail('wanto10');
      const since = t.smtp.mails.length;
      await t.http
        .post('/api/users')
        .set(JSON_CLIENT)
        .send({ name: 'Wanto', email, password: PASSWORD, confirmation: PASSWORD })
        .expect(201);
      const activated = await t.http
        .get(await activationPath(email, since))
        .set(JSON_CLIENT)
        .expect(200);
      expect(activated.body).toEqual({ error: null, message: 'Akun anda telah aktif', data: null });

      const login = await t.http.post('/api/users/login').set(JSON_CLIENT).send({ email, password: PASSWORD }).expect(200);
      expect(login.body).toMatchObject({ error: null, message: 'Login berhasil', token_type: 'Bearer' });
      const { id } = login.body.data[0];

      // The spec's refresh: no body, the refresh token as the bearer.
      const refreshed = await t.http.post('/api/users/refresh').set(JSON_CLIENT).set(bearer(login.body.refresh_token)).expect(200);
      expect(refreshed.body.message).toBe('Refresh token berhasil');
      const access = refreshed.body.access_token as string;

      const got = await t.http.get(`/api/users/${id}`).set(JSON_CLIENT).set(bearer(access)).expect(200);
      expect(got.body.data[0]).toMatchObject({ id, email });
      const updated = await t.http.put(`/api/v1/users/${id}`).set(JSON_CLIENT).set(bearer(access)).send({ name: 'Wanto S' }).expect(200);
      expect(updated.body).toMatchObject({ message: 'Update user berhasil', data: [{ name: 'Wanto S' }] });
      const deleted = await t.http.delete(`/api/users/${id}`).set(JSON_CLIENT).set(bearer(access)).expect(200);
      expect(deleted.body).toMatchObject({ message: 'Delete user berhasil', data: [{ id }] });
    });

    it('failures are honest status codes with the envelope, not a blanket 401 / 501', async () => {
      const wrong = await t.http.post('/api/users/login').set(JSON_CLIENT).send({ email: uniqueEmail(), password: PASSWORD }).expect(401);
      expect(wrong.body).toEqual({ error: ['Email atau password salah'], message: 'Login gagal', data: null });
      const empty = await t.http.post('/api/users').set(JSON_CLIENT).send({}).expect(400);
      expect(empty.body.message).toBe('Proses gagal');
      expect(empty.body.error).toEqual(expect.arrayContaining(['Email harus diisi', 'Password harus diisi']));
    });
  });

  describe('route list', () => {
    it('POST /users/register with its body (no confirmation) registers; the same body at POST /users is still a 400', async () => {
      const email = uniqueEmail('wanto10');
      const body = { name: 'Wanto', email, password: PASSWORD, no_tlp: '081234567890', gender: 'Laki-laki' };
      const refused = await t.http.post('/api/users').set(JSON_CLIENT).send(body).expect(400);
      expect(refused.body.error).toEqual(['Konfirmasi password harus diisi']);

      const res = await t.http.post('/api/users/register').set(JSON_CLIENT).send(body).expect(201);
      expect(res.body).toMatchObject({
        error: null,
        message: 'Register akun berhasil',
        data: [{ name: 'Wanto', email, no_tlp: '081234567890', gender: 'Laki-laki', role: 'customer', is_active: false }],
      });
      // The same handler: the same rules (the address is taken now, a confirmation that is sent must match).
      const taken = await t.http.post('/api/v1/users/register').set(JSON_CLIENT).send(body).expect(409);
      expect(taken.body.error).toEqual(['Email sudah terdaftar']);
      const mismatch = await t.http
        .post('/api/users/register')
        .set(JSON_CLIENT)
        .send({ ...body, email: uniqueEmail(), confirmation: 'lain-lain1' })
        .expect(400);
      expect(mismatch.body.error).toEqual(['Konfirmasi password tidak sama dengan password']);
    });

    it('role in the register body is refused: every new user is a customer', async () => {
      const res = await t.http
        .post('/api/users/register')
        .set(JSON_CLIENT)
        .send({ name: 'Wanto', email: uniqueEmail(), password: PASSWORD, no_tlp: '081234567890', gender: 'Laki-laki', role: 'admin' })
        .expect(400);
      expect(res.body.error).toEqual(['Field role tidak dikenal']);
    });

    it('login, then getProfile (GET /users/profile) is route 7', async () => {
      const user = await registerActiveUser(t);
      const login = await t.http.post('/api/users/login').set(JSON_CLIENT).send({ email: user.email, password: PASSWORD }).expect(200);
      const profile = await t.http.get('/api/users/profile').set(JSON_CLIENT).set(bearer(login.body.access_token)).expect(200);
      const me = await t.http.get('/api/users/me').set(JSON_CLIENT).set(bearer(login.body.access_token)).expect(200);
      expect(profile.body).toEqual(me.body);
      expect(profile.body.data[0].id).toBe(user.id);
      await t.http.get('/api/users/profile').set(JSON_CLIENT).expect(401);
    });

    it('PUT /users (no id) updates the caller’s own account with route 10’s rules', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http
        .put('/api/users')
        .set(JSON_CLIENT)
        .set(bearer(user.accessToken))
        .send({ name: 'Wanto Baru', no_tlp: '081298765432', gender: 'Laki-laki' })
        .expect(200);
      expect(res.body).toMatchObject({
        message: 'Update user berhasil',
        data: [{ id: user.id, name: 'Wanto Baru', no_tlp: '081298765432' }],
      });
      const role = await t.http.put('/api/users').set(JSON_CLIENT).set(bearer(user.accessToken)).send({ role: 'admin' }).expect(403);
      expect(role.body.error).toEqual(['Hanya admin yang dapat mengubah role']);
      const password = await t.http
        .put('/api/users')
        .set(JSON_CLIENT)
        .set(bearer(user.accessToken))
        .send({ password: 'rahasiaBaru456', confirmation: 'rahasiaBaru456' })
        .expect(400);
      expect(password.body.error).toEqual(['Password saat ini harus diisi']);
      await t.http.put('/api/users').set(JSON_CLIENT).send({ name: 'x' }).expect(401);
    });

    it('GET /users is the admin list; a customer gets 403', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http.get('/api/users').set(JSON_CLIENT).set(bearer(user.accessToken)).expect(403);
      expect(res.body.error).toEqual(['Akses ditolak']);
    });

    it('logout with {token, user_id}: the caller’s own refresh token and id end the caller’s session', async () => {
      const user = await registerActiveUser(t);
      const res = await t.http
        .post('/api/users/logout')
        .set(JSON_CLIENT)
        .set(bearer(user.accessToken))
        .send({ token: user.refreshToken, user_id: user.id })
        .expect(200);
      expect(res.body).toEqual({ error: null, message: 'Logout berhasil', data: null });
      expect(await sessionLive(user.refreshToken)).toBe(false);
      await t.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
    });

    it('logout with the caller’s access token as `token` and the id in capitals works too', async () => {
      const user = await registerActiveUser(t);
      await t.http
        .post('/api/users/logout')
        .set(bearer(user.accessToken))
        .send({ token: user.accessToken, user_id: user.id.toUpperCase() })
        .expect(200);
      expect(await sessionLive(user.refreshToken)).toBe(false);
    });

    it('logout naming another user’s id or token, or a token that is none, is 403 and ends nothing', async () => {
      const user = await registerActiveUser(t);
      const other = await registerActiveUser(t);
      const cases = [
        { token: user.refreshToken, user_id: other.id },
        { token: other.refreshToken, user_id: user.id },
        { token: other.accessToken },
        { token: 'bukan-token' },
        { user_id: other.id },
      ];
      for (const body of cases) {
        const res = await t.http.post('/api/users/logout').set(bearer(user.accessToken)).send(body);
        expect({ body, status: res.status, error: res.body.error }).toEqual({ body, status: 403, error: ['Akses ditolak'] });
      }
      expect(await sessionLive(user.refreshToken)).toBe(true);
      expect(await sessionLive(other.refreshToken)).toBe(true);
      const bad = await t.http.post('/api/users/logout').set(bearer(user.accessToken)).send({ user_id: 'bukan-uuid' }).expect(400);
      expect(bad.body.error).toEqual(['ID user tidak valid']);
      // null is not "left out" (it was a 500: the token hash got null)
      const nullToken = await t.http.post('/api/users/logout').set(bearer(user.accessToken)).send({ token: null });
      expect([nullToken.status, nullToken.body.error]).toEqual([400, ['Token harus berupa teks']]);
      const nullId = await t.http.post('/api/users/logout').set(bearer(user.accessToken)).send({ user_id: null });
      expect([nullId.status, nullId.body.error]).toEqual([400, ['ID user tidak valid']]);
      expect(await sessionLive(user.refreshToken)).toBe(true);
    });

    it('not served on purpose: POST /refresh-tokens with a user_id, GET /refresh_tokens?refresh_token= (404; the token is untouched)', async () => {
      const user = await registerActiveUser(t);
      const post = await t.http.post('/api/refresh-tokens').set(JSON_CLIENT).send({ user_id: user.id, refresh_token: user.refreshToken });
      expect(post.status).toBe(404);
      expect(post.body).toEqual({ error: ['Route tidak ditemukan'], message: 'Proses gagal', data: null });
      const get = await t.http.get(`/api/refresh_tokens?refresh_token=${encodeURIComponent(user.refreshToken)}`).set(JSON_CLIENT);
      expect(get.status).toBe(404);
      // A token in a URL is never used: the session is as it was, and the token still refreshes once.
      expect(await sessionLive(user.refreshToken)).toBe(true);
      await t.http.post('/api/users/refresh').send({ refresh_token: user.refreshToken }).expect(200);
    });

    it('POST /users/register shares route 1’s rate limit (one handler, one counter)', async () => {
      // Last in the file: passport keeps one 'jwt' strategy per process, so a second app replaces the first one's (and its key).
      const limited = await startTestApp({ RATE_LIMIT_PER_MINUTE: '2' });
      try {
        await limited.http.post('/api/users').send({}).expect(400);
        await limited.http.post('/api/users/register').send({}).expect(400);
        const over = await limited.http.post('/api/users/register').send({}).expect(429);
        expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        await limited.close();
      }
    });
  });
});
