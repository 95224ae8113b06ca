import { PASSWORD, startTestApp, uniqueEmail, type TestApp } from './support';

const valid = () => ({ name: 'Wanto', email: uniqueEmail(), password: PASSWORD, confirmation: PASSWORD });

describe('the HTTP contract: envelope, validation, languages, limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  // Each row: what is wrong with the registration body → the per-field messages (Indonesian).
  const invalidRegistrations: Array<[string, Record<string, unknown>, string[]]> = [
    ['empty body', {}, ['Nama harus diisi', 'Email harus diisi', 'Password harus diisi', 'Konfirmasi password harus diisi']],
    ['blank name', { name: '   ' }, ['Nama harus diisi']],
    ['name too long', { name: 'x'.repeat(101) }, ['Nama maksimal 100 karakter']],
    ['name not a string', { name: 42 }, ['Nama harus berupa teks']],
    ['malformed email', { email: 'not-an-email' }, ['Format Email tidak valid']],
    ['email as a number', { email: 12345 }, ['Email harus berupa teks']],
    ['short password', { password: 'short', confirmation: 'short' }, ['Password minimal 8 karakter']],
    ['password over 72 bytes', { password: 'é'.repeat(37), confirmation: 'é'.repeat(37) }, ['Password maksimal 72 byte']],
    ['confirmation differs', { confirmation: 'something-else' }, ['Konfirmasi password tidak sama dengan password']],
    ['bad gender', { gender: 'L' }, ['Gender harus salah satu dari: Laki-laki, Perempuan']],
    ['bad phone', { no_tlp: '12ab' }, ['Format No. telepon tidak valid']],
    ['unknown field', { is_active: true }, ['Field is_active tidak dikenal']],
  ];

  it.each(invalidRegistrations)('refuses a registration with %s: 400 with per-field messages', async (_, patch, messages) => {
    const body = Object.keys(patch).length ? { ...valid(), ...patch } : {};
    const res = await t.http.post('/api/users').send(body).expect(400);
    expect(res.body).toEqual({ error: messages, message: 'Proses gagal', data: null });
  });

  it('accepts a password of exactly 72 bytes and refuses 73', async () => {
    const ok = 'a'.repeat(72);
    await t.http
      .post('/api/users')
      .send({ ...valid(), password: ok, confirmation: ok })
      .expect(201);
    const long = 'a'.repeat(73);
    await t.http
      .post('/api/users')
      .send({ ...valid(), password: long, confirmation: long })
      .expect(400);
  });

  it('answers in English with Accept-Language: en', async () => {
    const res = await t.http.post('/api/users').set('Accept-Language', 'en').send({ email: 'x' }).expect(400);
    expect(res.body.message).toBe('Process failed');
    expect(res.body.error).toContain('Email is not a valid email address');
    expect(res.body.error).toContain('Name is required');
  });

  it('answers malformed JSON with 400 and a body over 100 kB with 413, in the envelope', async () => {
    const bad = await t.http.post('/api/users/login').set('Content-Type', 'application/json').send('{"email": ').expect(400);
    expect(bad.body).toEqual({ error: ['Body bukan JSON yang valid'], message: 'Proses gagal', data: null });
    const big = await t.http
      .post('/api/users')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ ...valid(), name: 'x'.repeat(110_000) }))
      .expect(413);
    expect(big.body).toEqual({ error: ['Body terlalu besar (maksimal 100 kB)'], message: 'Proses gagal', data: null });
  });

  it('refuses a JSON array, a JSON string or null as the body with 400', async () => {
    for (const body of ['[]', '"text"', 'null', '[{"email":"a@b.co"}]']) {
      const res = await t.http.post('/api/users/login').set('Content-Type', 'application/json').send(body);
      expect(res.status, body).toBe(400);
      expect(res.body.data).toBeNull();
      expect(res.body.error.length).toBeGreaterThan(0);
    }
  });

  it('answers an unknown route with 404 in the envelope', async () => {
    const res = await t.http.get('/api/nothing-here').expect(404);
    expect(res.body).toEqual({ error: ['Route tidak ditemukan'], message: 'Proses gagal', data: null });
  });

  it('matches paths as the Express router did: any case, a trailing slash, the /api/v1 alias', async () => {
    const guarded = { error: ['Token tidak ditemukan'], message: 'Proses gagal', data: null };
    for (const path of ['/api/users/me', '/API/Users/ME', '/api/users/me/', '/api/v1/users/me', '/api/v1/users/me/']) {
      const res = await t.http.get(path);
      expect([path, res.status, res.body]).toEqual([path, 401, guarded]);
    }
    const health = await t.http.get('/api/v1/health').expect(200);
    expect(health.body.message).toBe('Service berjalan normal');
  });

  it('answers a path parameter longer than the router takes with 400 in the envelope, not 414', async () => {
    const res = await t.http.get(`/api/users/activate/${'a'.repeat(1500)}`).set('Accept', 'application/json');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: ['Permintaan tidak valid'], message: 'Proses gagal', data: null });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sends a JSON answer, a 404 and an error the API security headers, and none of the document-only ones', async () => {
    const answers = [
      await t.http.get('/api/health').expect(200),
      await t.http.get('/api/no-such-route').expect(404),
      await t.http.post('/api/users/refresh').send({ refresh_token: 'x' }).expect(401),
    ];
    for (const res of answers) {
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toMatch(/^max-age=\d+/);
      for (const header of [
        'cross-origin-opener-policy',
        'cross-origin-resource-policy',
        'origin-agent-cluster',
        'x-dns-prefetch-control',
        'x-download-options',
        'x-permitted-cross-domain-policies',
        'x-xss-protection',
      ]) {
        expect(res.headers[header], header).toBeUndefined();
      }
    }
  });

  it('gives every response a request id, keeping a well-formed incoming one', async () => {
    const res = await t.http.get('/api/health').set('X-Request-Id', 'abc-123').expect(200);
    expect(res.headers['x-request-id']).toBe('abc-123');
    const generated = await t.http.get('/api/health').set('X-Request-Id', 'bad id with spaces').expect(200);
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('never answers odd input with a 500 or a stack trace', async () => {
    const probes = [
      t.http.post('/api/users').send({ ...valid(), email: { $gt: '' } }),
      t.http.post('/api/users').send({ ...valid(), name: ['a', 'b'] }),
      t.http.post('/api/users/login').send({ email: 'a@b.co', password: { length: 1 } }),
      t.http.post('/api/users/login').send({ email: `${'a'.repeat(300)}@b.co`, password: 'x' }),
      t.http.get('/api/users/activate/%E0%A4%A'),
      t.http.get(`/api/users/activate/${'x'.repeat(5000)}`),
      t.http.post('/api/users').set('Content-Type', 'application/json; charset=latin9').send('{}'),
      t.http.post('/api/users').set('Content-Type', 'text/plain').send('hello'),
    ];
    for (const res of await Promise.all(probes)) {
      expect(res.status, res.text).toBeGreaterThanOrEqual(400);
      expect(res.status, res.text).toBeLessThan(500);
      expect(res.text).not.toMatch(/at \w+ \(|node_modules|QueryFailedError|SELECT /);
    }
  });
});
