import { decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { SIGNING_KEYS } from '../src/keys/signing-keys';
import {
  bearer,
  claims,
  expireLinks,
  PASSWORD,
  registerActiveUser,
  startTestApp,
  tryLogin,
  UNKNOWN_LINK_TOKEN,
  uniqueEmail,
  USER_FIELDS,
  WRONG_PASSWORD,
  type TestApp,
} from './support';

describe('register → activation email → login → profile', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('registers an inactive customer and answers in the envelope with exactly the user fields', async () => {
    const email = uniqueEmail('wanto');
    const res = await t.http
      .post('/api/users')
      .send({
        name: ' Wanto ',
        email: `  ${email.toUpperCase()} `,
        password: PASSWORD,
        confirmation: PASSWORD,
        no_tlp: '0812-3456-7890',
        gender: 'Laki-laki',
      })
      .expect(201);
    expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message']);
    expect(res.body.error).toBeNull();
    expect(res.body.message).toBe('Register akun berhasil');
    expect(res.body.data).toHaveLength(1);
    const user = res.body.data[0];
    expect(Object.keys(user).sort()).toEqual(USER_FIELDS);
    expect(user).toMatchObject({ name: 'Wanto', email, no_tlp: '081234567890', gender: 'Laki-laki', role: 'customer', is_active: false });
    expect(JSON.stringify(res.body)).not.toMatch(/password|hash|\$2[aby]\$/i);
  });

  it('sends the activation link over SMTP, built from APP_URL, and the link activates', async () => {
    const email = uniqueEmail();
    await t.http.post('/api/users').send({ name: 'Ani', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const mail = await t.smtp.waitFor(email, { kind: 'activation' });
    expect(mail.subject).toBe('Aktivasi akun Alat Berat anda');
    expect(mail.link).toMatch(/^http:\/\/localhost:3000\/api\/users\/activate\/[\w-]{43}$/);
    expect(mail.html).toContain(mail.link);

    const path = new URL(mail.link!).pathname;
    const first = await t.http.get(path).expect(200);
    expect(first.body).toEqual({ error: null, message: 'Akun anda telah aktif', data: null });
    const again = await t.http.get(path).expect(200);
    expect(again.body.message).toBe('Akun anda sudah aktif');

    const loggedIn = await tryLogin(t, email, PASSWORD).expect(200);
    expect(loggedIn.body.data[0].is_active).toBe(true);
  });

  it('sends the activation email in English when the registration asked for English', async () => {
    const email = uniqueEmail();
    await t.http
      .post('/api/users')
      .set('Accept-Language', 'en-US,en;q=0.9')
      .send({ name: 'Ann', email, password: PASSWORD, confirmation: PASSWORD })
      .expect(201);
    const mail = await t.smtp.waitFor(email, { kind: 'activation' });
    expect(mail.subject).toBe('Activate your Alat Berat account');
  });

  it('shows a browser a small HTML page for the activation link', async () => {
    const email = uniqueEmail();
    await t.http.post('/api/users').send({ name: 'Budi', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const path = new URL((await t.smtp.waitFor(email, { kind: 'activation' })).link!).pathname;
    const html = await t.http.get(path).set('Accept', 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8').expect(200);
    expect(html.headers['content-type']).toMatch(/text\/html/);
    expect(html.text).toContain('Akun anda telah aktif');
    const bad = await t.http.get('/api/users/activate/not-a-real-token').set('Accept', 'text/html').expect(400);
    expect(bad.text).toContain('Token aktivasi tidak valid');
  });

  it('refuses an unknown and an expired activation token with 400', async () => {
    const unknown = await t.http.get(`/api/users/activate/${UNKNOWN_LINK_TOKEN}`).expect(400);
    expect(unknown.body).toEqual({ error: ['Token aktivasi tidak valid'], message: 'Aktivasi gagal', data: null });

    const email = uniqueEmail();
    const registered = await t.http
      .post('/api/users')
      .send({ name: 'Cici', email, password: PASSWORD, confirmation: PASSWORD })
      .expect(201);
    const path = new URL((await t.smtp.waitFor(email, { kind: 'activation' })).link!).pathname;
    await expireLinks(t, registered.body.data[0].id);
    const expired = await t.http.get(path).expect(400);
    expect(expired.body.error).toEqual(['Aktivasi sudah expired']);
  });

  it('resend gives the same 202 for unknown, active and inactive emails; a new link kills the old one', async () => {
    const email = uniqueEmail();
    await t.http.post('/api/users').send({ name: 'Dedi', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const oldPath = new URL((await t.smtp.waitFor(email, { kind: 'activation' })).link!).pathname;

    const after = t.smtp.mark();
    const inactive = await t.http.post('/api/users/activation/resend').send({ email }).expect(202);
    const unknown = await t.http
      .post('/api/users/activation/resend')
      .send({ email: uniqueEmail('nobody') })
      .expect(202);
    expect(unknown.body).toEqual(inactive.body);

    const fresh = await t.smtp.waitFor(email, { kind: 'activation', after });
    expect(new URL(fresh.link!).pathname).not.toBe(oldPath);
    await t.http.get(oldPath).expect(400);
    await t.http.get(new URL(fresh.link!).pathname).expect(200);

    const before = t.smtp.mailsTo(email).length;
    const active = await t.http.post('/api/users/activation/resend').send({ email }).expect(202);
    expect(active.body).toEqual(inactive.body);
    await t.mailSettled();
    expect(t.smtp.mailsTo(email)).toHaveLength(before);
  });

  it('refuses a duplicate email case-insensitively with 409', async () => {
    const email = uniqueEmail();
    await t.http.post('/api/users').send({ name: 'Eka', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const dup = await t.http
      .post('/api/users')
      .send({ name: 'Eka', email: email.toUpperCase(), password: PASSWORD, confirmation: PASSWORD })
      .expect(409);
    expect(dup.body).toEqual({ error: ['Email sudah terdaftar'], message: 'Proses gagal', data: null });
  });

  it('answers two simultaneous registrations of one email with one 201 and one 409', async () => {
    for (let round = 0; round < 5; round++) {
      const email = uniqueEmail('race');
      const body = { name: 'Race', email, password: PASSWORD, confirmation: PASSWORD };
      const statuses = (await Promise.all([t.http.post('/api/users').send(body), t.http.post('/api/users').send(body)]))
        .map((res) => res.status)
        .sort();
      expect(statuses).toEqual([201, 409]);
    }
  });

  it('never lets a client choose its role at registration', async () => {
    const res = await t.http
      .post('/api/users')
      .send({ name: 'Evil', email: uniqueEmail(), password: PASSWORD, confirmation: PASSWORD, role: 'admin' })
      .expect(400);
    expect(res.body.error).toEqual(['Field role tidak dikenal']);
  });

  it('logs in: token fields, no-store, and the profile through the access token', async () => {
    const user = await registerActiveUser(t);
    const login = await tryLogin(t, user.email, PASSWORD).expect(200);
    expect(Object.keys(login.body).sort()).toEqual([
      'access_token',
      'data',
      'error',
      'expires_in',
      'message',
      'refresh_token',
      'token_type',
    ]);
    expect(login.body).toMatchObject({ error: null, message: 'Login berhasil', token_type: 'Bearer', expires_in: 900 });
    expect(login.headers['cache-control']).toBe('no-store');
    expect(login.body.refresh_token.length).toBeGreaterThanOrEqual(22);

    const me = await t.http.get('/api/users/me').set(bearer(login.body.access_token)).expect(200);
    expect(me.body.data[0]).toMatchObject({ id: user.id, email: user.email, is_active: true });
    const v1 = await t.http.get('/api/v1/users/me').set(bearer(login.body.access_token)).expect(200);
    expect(v1.body).toEqual(me.body);
  });

  it('fails unknown email and wrong password alike, and an inactive account with 403', async () => {
    const user = await registerActiveUser(t);
    const wrong = await tryLogin(t, user.email, WRONG_PASSWORD).expect(401);
    const unknown = await tryLogin(t, uniqueEmail('ghost'), WRONG_PASSWORD).expect(401);
    expect(wrong.body).toEqual({ error: ['Email atau password salah'], message: 'Login gagal', data: null });
    expect(unknown.body).toEqual(wrong.body);

    const inactive = uniqueEmail();
    await t.http.post('/api/users').send({ name: 'Fajar', email: inactive, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const forbidden = await tryLogin(t, inactive, PASSWORD).expect(403);
    expect(forbidden.body).toEqual({ error: ['Akun belum diaktivasi'], message: 'Login gagal', data: null });
    // The wrong password on an inactive account reveals nothing about its state.
    await tryLogin(t, inactive, WRONG_PASSWORD).expect(401);
  });

  it('refuses /me without a token, with a garbage token and with a token signed by another key', async () => {
    const none = await t.http.get('/api/users/me').expect(401);
    expect(none.body).toEqual({ error: ['Token tidak ditemukan'], message: 'Proses gagal', data: null });
    await t.http.get('/api/users/me').set(bearer('nonsense')).expect(401);
    const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"x","typ":"access"}').toString('base64url')}.`;
    await t.http.get('/api/users/me').set(bearer(unsigned)).expect(401);
    await t.http.get('/api/users/me?access_token=whatever').expect(401);

    // The cases that could only fail if the checks were missing: a real token in the URL, the right
    // claims signed by another ES256 key, and HS256 "signed" with our public key as the secret.
    const user = await registerActiveUser(t);
    await t.http.get('/api/users/me').set(bearer(user)).expect(200);
    await t.http.get(`/api/users/me?access_token=${user.accessToken}`).expect(401);
    const payload = claims(user.accessToken);
    const { privateKey } = await generateKeyPair('ES256');
    const otherKey = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: decodeProtectedHeader(user.accessToken).kid })
      .sign(privateKey);
    await t.http.get('/api/users/me').set(bearer(otherKey)).expect(401);
    const publicPem = t.app.get<{ publicKeyPem: string }>(SIGNING_KEYS).publicKeyPem;
    const confused = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(publicPem));
    await t.http.get('/api/users/me').set(bearer(confused)).expect(401);
  });
});
