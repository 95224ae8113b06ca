import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';
import { DataSource } from 'typeorm';
import { hashToken } from '../src/tokens/secret-token';
import { isAcceptableEmail, normalizeEmail } from '../src/users/email';
import { PASSWORD, registerActiveUser, startTestApp, uniqueEmail, type TestApp } from './support/app';
import { UsersService } from '../src/users/users.service';
import { ageRotation, keepOnlyAdmins } from './support/db';
import { bearer, claims } from './support/accounts';

// What a hostile but realistic client found (issue 9), one case per finding.

const NEW_PASSWORD = 'rahasiaBaru456';
type Account = Awaited<ReturnType<typeof registerActiveUser>>;
const ENVELOPE_KEYS = ['data', 'error', 'message'];

describe('hostile input and account takeover (issue 9)', () => {
  let t: TestApp;
  let db: DataSource;

  async function login(user: Account, password = user.password): Promise<Account> {
    const res = await t.http.post('/api/users/login').send({ email: user.email, password }).expect(200);
    return { ...user, password, accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
  }
  async function registerAdmin(): Promise<Account> {
    const user = await registerActiveUser(t);
    await t.app.get(UsersService).promoteOrCreateAdmin(user.email);
    return login(user);
  }
  /** The newest link mailed to `to` with this subject, sent after mail number `since`. */
  async function linkTo(to: string, subject: string, since = 0): Promise<string> {
    const mail = await t.smtp.waitFor(to, (m) => m.subject === subject && t.smtp.mails.indexOf(m) >= since);
    return new URL(mail.link!).pathname + new URL(mail.link!).search;
  }
  async function resetToken(email: string): Promise<string> {
    const since = t.smtp.mails.length;
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    return new URL(`http://x${await linkTo(email, 'Reset password akun Alat Berat', since)}`).searchParams.get('token')!;
  }
  async function emailChangeLink(user: Account, newEmail: string): Promise<string> {
    const since = t.smtp.mails.length;
    await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ email: newEmail, current_password: user.password }).expect(200);
    return linkTo(newEmail, 'Konfirmasi email baru akun Alat Berat', since);
  }
  const reset = (token: string, password = NEW_PASSWORD) =>
    t.http.post('/api/users/password/reset').send({ token, password, confirmation: password });
  const refresh = (refreshToken: string) => t.http.post('/api/users/refresh').send({ refresh_token: refreshToken });
  const meStatus = async (accessToken: string) => (await t.http.get('/api/users/me').set('Authorization', `Bearer ${accessToken}`)).status;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
  });
  afterAll(async () => {
    await t.close();
  });

  describe('ids are compared in one form, whatever their case', () => {
    it('gives a customer their own user and update when the id is written in capitals', async () => {
      const user = await registerActiveUser(t);
      const upper = user.id.toUpperCase();
      const res = await t.http.get(`/api/users/${upper}`).set(bearer(user)).expect(200);
      expect(res.body.data[0].id).toBe(user.id);
      await t.http.put(`/api/users/${upper}`).set(bearer(user)).send({ name: 'Kapital' }).expect(200);
    });

    it('keeps the caller’s own session when they change their password through the id in capitals', async () => {
      const user = await registerActiveUser(t);
      const other = await login(user);
      await t.http
        .put(`/api/users/${user.id.toUpperCase()}`)
        .set(bearer(user))
        .send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD, current_password: PASSWORD })
        .expect(200);
      expect(await meStatus(user.accessToken)).toBe(200);
      expect(await meStatus(other.accessToken)).toBe(401);
    });

    describe('with exactly one admin left', () => {
      let restoreAdmins: () => Promise<void> = async () => undefined;
      let last: Account;
      beforeAll(async () => {
        last = await registerAdmin();
        restoreAdmins = await keepOnlyAdmins(db, [last.id]);
      });
      afterAll(async () => {
        await restoreAdmins();
      });

      it('refuses to demote or delete the last admin by its id in capitals (409)', async () => {
        const upper = last.id.toUpperCase();
        const demote = await t.http.put(`/api/users/${upper}`).set(bearer(last)).send({ role: 'customer' }).expect(409);
        expect(demote.body.error).toEqual(['Admin terakhir tidak dapat diturunkan']);
        const remove = await t.http.delete(`/api/users/${upper}`).set(bearer(last)).expect(409);
        expect(remove.body.error).toEqual(['Admin terakhir tidak dapat dihapus']);
        const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM users WHERE role = 'admin'`);
        expect(count).toBe(1);
      });
    });
  });

  describe('changing credentials cancels pending links', () => {
    it('stops the takeover: an intruder’s email-change link dies when the owner resets the password', async () => {
      const owner = await registerActiveUser(t);
      // The intruder knows the password and has a session of their own.
      const intruder = await login(owner);
      const intruderAddress = uniqueEmail('intruder');
      const changeLink = await emailChangeLink(intruder, intruderAddress);

      // The owner notices and recovers the account: every session ends.
      await reset(await resetToken(owner.email)).expect(200);
      expect(await meStatus(intruder.accessToken)).toBe(401);

      // The intruder's pending link answers like an unknown one; the account keeps the owner's address.
      const res = await t.http.get(changeLink).set('Accept', 'application/json').expect(400);
      expect(res.body.error).toEqual(['Token perubahan email tidak valid']);
      const [row] = await db.query(`SELECT email FROM users WHERE id = $1`, [owner.id]);
      expect(row.email).toBe(owner.email);
      // "Forgot password" on the intruder's address leads nowhere.
      const since = t.smtp.mails.length;
      await t.http.post('/api/users/password/forgot').send({ email: intruderAddress }).expect(202);
      await t.mailSettled();
      expect(t.smtp.mails.slice(since).filter((m) => m.to.includes(intruderAddress))).toHaveLength(0);
      await t.http.post('/api/users/login').send({ email: owner.email, password: NEW_PASSWORD }).expect(200);
    });

    it('cancels pending email-change and reset links on a password change', async () => {
      const user = await registerActiveUser(t);
      const changeLink = await emailChangeLink(user, uniqueEmail('moved'));
      const token = await resetToken(user.email);
      await t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD, current_password: PASSWORD })
        .expect(200);
      expect((await t.http.get(changeLink).set('Accept', 'application/json').expect(400)).body.error).toEqual([
        'Token perubahan email tidak valid',
      ]);
      expect((await reset(token, 'yetAnother789').expect(400)).body.error).toEqual(['Token reset password tidak valid']);
      expect(await meStatus(user.accessToken)).toBe(200);
    });

    it('cancels pending email-change and reset links on logout of every session', async () => {
      const user = await registerActiveUser(t);
      const changeLink = await emailChangeLink(user, uniqueEmail('moved'));
      const token = await resetToken(user.email);
      await t.http.post('/api/users/logout').set(bearer(user)).send({ all: true }).expect(200);
      await t.http.get(changeLink).set('Accept', 'application/json').expect(400);
      expect((await reset(token).expect(400)).body.error).toEqual(['Token reset password tidak valid']);
    });

    it('cancels the reset links sent to the old address when an email change is confirmed', async () => {
      const user = await registerActiveUser(t);
      const token = await resetToken(user.email);
      const changeLink = await emailChangeLink(user, uniqueEmail('moved'));
      await t.http.get(changeLink).set('Accept', 'application/json').expect(200);
      expect((await reset(token).expect(400)).body.error).toEqual(['Token reset password tidak valid']);
    });
  });

  describe('refresh grace never forks a session', () => {
    /** The hash of the session's one live refresh token. */
    const liveToken = async (sessionId: string) =>
      (await db.query(`SELECT token_hash FROM sessions WHERE id = $1`, [sessionId]))[0].token_hash as Buffer;
    const sid = (accessToken: string) => claims(accessToken).sid;

    it('answers 20 simultaneous refreshes of one token with 200 and one and the same successor', async () => {
      const user = await registerActiveUser(t);
      const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(user.refreshToken)));
      expect(answers.map((res) => res.status)).toEqual(Array(20).fill(200));
      const successors = new Set(answers.map((res) => res.body.refresh_token));
      expect(successors.size).toBe(1);
      const [successor] = [...successors] as string[];
      expect((await liveToken(sid(user.accessToken))).equals(hashToken(successor))).toBe(true);
      // Each got a fresh, working access token of the same session.
      expect(new Set(answers.map((res) => sid(res.body.access_token)))).toEqual(new Set([sid(user.accessToken)]));
      expect(await meStatus(answers[7].body.access_token)).toBe(200);

      // The database holds no usable token: the successor is neither stored in the clear nor as its hash alone beside a key.
      const [row]: { successor_sealed: Buffer }[] = await db.query(`SELECT successor_sealed FROM sessions WHERE id = $1`, [
        sid(user.accessToken),
      ]);
      expect(row.successor_sealed).toBeInstanceOf(Buffer);
      expect(row.successor_sealed.includes(Buffer.from(successor))).toBe(false);
      expect(row.successor_sealed.includes(Buffer.from(successor.slice(22), 'base64url'))).toBe(false);
    });

    it('revokes the session when the rotated token comes back after the window; the successor dies too', async () => {
      const user = await registerActiveUser(t);
      const first = await refresh(user.refreshToken).expect(200);
      await ageRotation(db, user.refreshToken, 11);
      await refresh(user.refreshToken).expect(401);
      await refresh(first.body.refresh_token).expect(401);
      expect(await meStatus(first.body.access_token)).toBe(401);
    });

    it('treats the just-rotated token as an older one once its successor was rotated in turn (401, session revoked)', async () => {
      const user = await registerActiveUser(t);
      const first = await refresh(user.refreshToken).expect(200);
      const second = await refresh(first.body.refresh_token).expect(200);
      await refresh(user.refreshToken).expect(401);
      await refresh(second.body.refresh_token).expect(401);
    });

    it('accepts the refresh token as `authorization: bearer …` in lower case', async () => {
      const user = await registerActiveUser(t);
      await t.http.post('/api/users/refresh').set('authorization', `bearer ${user.refreshToken}`).expect(200);
    });
  });

  describe('text rules: validator, database and documentation agree', () => {
    const register = (patch: Record<string, unknown>) =>
      t.http.post('/api/users').send({ name: 'Wanto', email: uniqueEmail(), password: PASSWORD, confirmation: PASSWORD, ...patch });

    it('counts a name in code points after NFC: 100 astral characters fit, 100 "❤️" (200 code points) are a 400, never 500', async () => {
      await register({ name: '😀'.repeat(100) }).expect(201);
      const hearts = await register({ name: '❤️'.repeat(100) }).expect(400);
      expect(hearts.body).toEqual({ error: ['Nama maksimal 100 karakter'], message: 'Proses gagal', data: null });
      const user = await registerActiveUser(t);
      await t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .send({ name: '❤️'.repeat(100) })
        .expect(400);
      await t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .send({ name: '❤️'.repeat(50) })
        .expect(200);
    });

    it('stores a name in NFC, so 100 decomposed letters count as 100', async () => {
      const nfd = 'e\u0301'.repeat(100);
      const res = await register({ name: nfd }).expect(201);
      expect(res.body.data[0].name).toBe('\u00e9'.repeat(100));
    });

    it.each([
      ['a right-to-left override', 'Wan\u202eto'],
      ['a zero-width space', 'Wan\u200bto'],
      ['an isolate', 'Wan\u2066to'],
      ['a control character', 'Wan\u0007to'],
      ['NUL', 'Wan\u0000to'],
      ['a lone surrogate', 'Wan\ud800to'],
    ])('refuses a name with %s (400)', async (_, name) => {
      const res = await register({ name }).expect(400);
      expect(res.body.error).toEqual(['Nama tidak valid']);
    });

    it.each([
      ['a quoted local part', '"wanto x"@example.com'],
      ['a one-letter top-level domain', 'admin@example.c'],
      ['an IP literal', 'wanto@[127.0.0.1]'],
      ['a numeric top-level domain', 'wanto@example.123'],
      ['a control character', 'wan\u0001to@example.com'],
      ['a non-ASCII local part', 'wäntö@example.com'],
      ['no domain dot', 'wanto@localhost'],
    ])('refuses an email with %s (400)', async (_, email) => {
      const res = await register({ email }).expect(400);
      expect(res.body.error).toEqual(['Format Email tidak valid']);
    });

    it('accepts an internationalised domain and treats its NFD and NFC spellings as one address', async () => {
      const local = `idn${Date.now().toString(36)}`;
      const nfc = `${local}@b\u00fccher.de`;
      const nfd = `${local}@bu\u0308cher.de`;
      const first = await register({ email: nfd }).expect(201);
      expect(first.body.data[0].email).toBe(nfc);
      await register({ email: nfc.toUpperCase() }).expect(409);
    });

    it('applies the same email rule in the admin command (npm run user:admin) as in the API', () => {
      expect(isAcceptableEmail(normalizeEmail('admin@example.c'))).toBe(false);
      expect(isAcceptableEmail(normalizeEmail(' Admin@Example.com '))).toBe(true);
    });
  });

  describe('limits before parsing work', () => {
    const deepArray = '['.repeat(2500) + ']'.repeat(2500);
    const deepObject = '{"a":'.repeat(2500) + '1' + '}'.repeat(2500);

    it('answers JSON nested 2,500 deep with 400 on every JSON route', async () => {
      const user = await registerActiveUser(t);
      const routes: Array<[string, string, boolean]> = [
        ['post', '/api/users', false],
        ['post', '/api/users/login', false],
        ['post', '/api/users/refresh', false],
        ['post', '/api/users/activation/resend', false],
        ['post', '/api/users/password/forgot', false],
        ['post', '/api/users/password/reset', false],
        ['post', '/api/users/logout', true],
        ['put', `/api/users/${user.id}`, true],
      ];
      for (const [method, path, auth] of routes) {
        for (const body of [deepArray, deepObject]) {
          const req = (method === 'put' ? t.http.put(path) : t.http.post(path)).set('Content-Type', 'application/json');
          if (auth) req.set(bearer(user));
          const res = await req.send(body);
          expect(res.status, `${method} ${path}`).toBe(400);
          expect(Object.keys(res.body).sort()).toEqual(ENVELOPE_KEYS);
        }
      }
      expect(await meStatus(user.accessToken)).toBe(200);
    });

    it('keeps the 100 kB limit (413)', async () => {
      await t.http
        .post('/api/users/login')
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ email: 'a@b.co', password: 'x'.repeat(110_000) }))
        .expect(413);
    });

    it('answers a body that is not JSON with 415; the reset form still posts form-encoded', async () => {
      const text = await t.http.post('/api/users/login').set('Content-Type', 'text/plain').send('email=a@b.co').expect(415);
      expect(text.body).toEqual({ error: ['Content-Type harus application/json'], message: 'Login gagal', data: null });
      await t.http.post('/api/users/login').type('form').send({ email: 'a@b.co', password: PASSWORD }).expect(415);
      const form = await t.http
        .post('/api/users/password/reset')
        .type('form')
        .send({ token: 'nope', password: PASSWORD, confirmation: PASSWORD });
      expect(form.status).toBe(400);
      expect(form.body.error).toEqual(['Token reset password tidak valid']);
    });

    it('answers a compressed body with 415 in the envelope and inflates nothing', async () => {
      const zipped = gzipSync(Buffer.from(JSON.stringify({ email: 'a@b.co', password: PASSWORD })));
      const res = await t.http
        .post('/api/users/login')
        .set('Content-Type', 'application/json')
        .set('Content-Encoding', 'gzip')
        .send(zipped);
      expect(res.status).toBe(415);
      expect(res.body).toEqual({ error: ['Content-Type harus application/json'], message: 'Proses gagal', data: null });
      const identity = await t.http
        .post('/api/users/login')
        .set('Content-Encoding', 'identity')
        .send({ email: 'a@b.co', password: PASSWORD });
      expect(identity.status).toBe(401);
    });

    it('answers oversized headers with 431 in the envelope', async () => {
      const url = new URL(t.url);
      const answer = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
        const req = httpRequest(
          { host: url.hostname, port: url.port, path: '/api/health', headers: { 'accept-language': 'en', 'x-filler': 'x'.repeat(20_000) } },
          (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(answer.status).toBe(431);
      expect(answer.type).toMatch(/^application\/json/);
      const body = JSON.parse(answer.body);
      expect(Object.keys(body).sort()).toEqual(ENVELOPE_KEYS);
      expect(body.data).toBeNull();
      expect(body.error).toEqual(['Request headers are too large']);
    });

    it('answers a bad escape in the URL with 400 about the path, not the body', async () => {
      const res = await t.http.get('/api/users/%E0%A4%A').expect(400);
      expect(res.body.error).toEqual(['Alamat (URL) permintaan tidak valid']);
    });

    it('fills every placeholder of a message (no {max} left)', async () => {
      const login = await t.http
        .post('/api/users/login')
        .send({ email: 'a@b.co', password: 'x'.repeat(1025) })
        .expect(400);
      const resetRes = await reset('t'.repeat(201)).expect(400);
      for (const text of [...login.body.error, ...resetRes.body.error]) expect(text).not.toMatch(/[{}]/);
      expect(login.body.error).toEqual(['Password maksimal 1024 karakter']);
    });
  });

  describe('queries, passwords, messages', () => {
    it('ignores unknown query parameters on every route; known ones are still validated', async () => {
      const admin = await registerAdmin();
      await t.http.get('/api/users?utm_source=mail&page=1').set(bearer(admin)).expect(200);
      await t.http.get('/api/users?fbclid=x').set(bearer(admin)).expect(200);
      await t.http.get('/api/users?page=abc&utm_source=x').set(bearer(admin)).expect(400);
      await t.http.get('/api/users/me?utm_source=x').set(bearer(admin)).expect(200);
      await t.http.get(`/api/users/${admin.id}?utm_medium=email`).set(bearer(admin)).expect(200);
      await t.http.post('/api/users/login?utm_source=x').send({ email: admin.email, password: PASSWORD }).expect(200);
      await t.http.get('/api/health?utm_source=x').expect(200);
    });

    it('never lets a password over 72 bytes match by its first 72 (401)', async () => {
      const password = 'p'.repeat(72);
      const user = await registerActiveUser(t, { password });
      const res = await t.http
        .post('/api/users/login')
        .send({ email: user.email, password: `${password}anything` })
        .expect(401);
      expect(res.body.error).toEqual(['Email atau password salah']);
      await t.http.post('/api/users/login').send({ email: user.email, password }).expect(200);
    });

    it('says "Proses gagal" (and "Process failed") when a registration fails', async () => {
      const res = await t.http.post('/api/users').send({}).expect(400);
      expect(res.body.message).toBe('Proses gagal');
      const en = await t.http.post('/api/users').set('Accept-Language', 'en').send({}).expect(400);
      expect(en.body.message).toBe('Process failed');
    });
  });
});

describe('current_password answers count as failed logins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_FAILURES_LIMIT: '3' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers 429 to PUT and to login once the per-account limit is used up by wrong current passwords', async () => {
    const user = await registerActiveUser(t);
    const put = (current_password: string) =>
      t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD, current_password });
    for (let i = 0; i < 3; i++) expect((await put(`wrong-${i}-password`).expect(400)).body.error).toEqual(['Password saat ini salah']);
    const locked = await put(PASSWORD).expect(429);
    expect(locked.headers['retry-after']).toMatch(/^\d+$/);
    await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }).expect(429);
  });

  it('clears the count when the current password is right', async () => {
    const user = await registerActiveUser(t);
    const put = (current_password: string) =>
      t.http
        .put(`/api/users/${user.id}`)
        .set(bearer(user))
        .send({ email: uniqueEmail('moved'), current_password });
    await put('wrong-password-1').expect(400);
    await put('wrong-password-2').expect(400);
    await put(PASSWORD).expect(200);
    await put('wrong-password-3').expect(400);
    await put('wrong-password-4').expect(400);
    await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }).expect(200);
  });
});
