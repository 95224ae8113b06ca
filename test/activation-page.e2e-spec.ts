import { expireLink, isLinkUsed, PASSWORD, startTestApp, tryLogin, uniqueEmail, type TestApp } from './support';

/** What Chrome sends when a person clicks the link in their mail. */
const BROWSER = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const JSON_ACCEPT = 'application/json';

async function registerInactive(t: TestApp, lang?: string): Promise<{ email: string; path: string; token: string }> {
  const email = uniqueEmail('page');
  const after = t.smtp.mark();
  const req = t.http.post('/api/users');
  if (lang) req.set('Accept-Language', lang);
  await req.send({ name: 'Sari', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
  const mail = await t.smtp.waitFor(email, { kind: 'activation', after });
  const url = new URL(mail.link!);
  return { email, path: url.pathname, token: url.pathname.split('/').pop()! };
}

async function loginStatus(t: TestApp, email: string): Promise<number> {
  return (await tryLogin(t, email, PASSWORD)).status;
}

function expectPageHeaders(res: { headers: Record<string, string> }): void {
  expect(res.headers['content-type']).toMatch(/^text\/html/);
  const csp = res.headers['content-security-policy'];
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("default-src 'none'");
  expect(csp).not.toMatch(/script-src|unsafe-inline|unsafe-eval/);
  expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
}

describe('the activation link: a page with a button, safe from mail scanners', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_URL: 'https://app.example.com/login' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('changes nothing on HEAD, Accept */*, no Accept or a browser GET; the token stays usable', async () => {
    const { email, path, token } = await registerInactive(t);
    const head = await t.http.head(path).expect(200);
    expect(head.headers['content-type']).toMatch(/^text\/html/);
    const scanner = await t.http.get(path).set('Accept', '*/*').expect(200);
    expect(scanner.text).toContain('Aktifkan akun');
    const bare = await t.http.get(path).expect(200);
    expect(bare.text).toContain('<form method="post">');
    const browser = await t.http.get(path).set('Accept', BROWSER).expect(200);
    expectPageHeaders(browser);
    expect(browser.headers['cache-control']).toBe('no-store');
    expect(browser.text).toMatch(/<button class="button" type="submit">Aktifkan akun<\/button>/);
    expect(browser.text).not.toMatch(/<script/i);

    expect(await isLinkUsed(t, token)).toBe(false);
    expect(await loginStatus(t, email)).toBe(403);

    // The JSON client of the original spec still activates with a GET.
    const first = await t.http.get(path).set('Accept', JSON_ACCEPT).expect(200);
    expect(first.body).toEqual({ error: null, message: 'Akun anda telah aktif', data: null });
    const again = await t.http.get(path).set('Accept', JSON_ACCEPT).expect(200);
    expect(again.body).toEqual({ error: null, message: 'Akun anda sudah aktif', data: null });
    expect(await loginStatus(t, email)).toBe(200);
  });

  it('activates on the form post, never logs in, and the outcome page links to LOGIN_URL', async () => {
    const { email, path } = await registerInactive(t);
    const done = await t.http.post(path).set('Accept', BROWSER).type('form').send('').expect(200);
    expectPageHeaders(done);
    expect(done.text).toContain('Akun anda telah aktif');
    expect(done.text).toContain('<a class="button" href="https://app.example.com/login">Login</a>');
    expect(done.headers['set-cookie']).toBeUndefined();
    expect(done.text).not.toMatch(/access_token|refresh_token/);
    expect(await loginStatus(t, email)).toBe(200);

    // A second click of the button (or the link) says "already active".
    const twice = await t.http.post(path).set('Accept', BROWSER).expect(200);
    expect(twice.text).toContain('Akun anda sudah aktif');
    const page = await t.http.get(path).set('Accept', BROWSER).expect(200);
    expect(page.text).toContain('Akun anda sudah aktif');
    expect(page.text).not.toContain('<form');
  });

  it('answers a JSON client of the form route with the envelope', async () => {
    const { path } = await registerInactive(t);
    const first = await t.http.post(path).expect(200);
    expect(first.body).toEqual({ error: null, message: 'Akun anda telah aktif', data: null });
    const again = await t.http.post(path).set('Accept', JSON_ACCEPT).expect(200);
    expect(again.body).toEqual({ error: null, message: 'Akun anda sudah aktif', data: null });
  });

  it('speaks English to an English browser', async () => {
    const { path } = await registerInactive(t, 'en');
    const page = await t.http.get(path).set('Accept', BROWSER).set('Accept-Language', 'en-GB,en;q=0.9').expect(200);
    expect(page.text).toContain('<html lang="en">');
    expect(page.text).toContain('Activate account');
    const done = await t.http.post(path).set('Accept', BROWSER).set('Accept-Language', 'en').expect(200);
    expect(done.text).toContain('Your account is now active');
    expect(done.text).toContain('>Log in</a>');
  });

  it('shows an unknown or expired link as such up front, with a form for a new link, and uses nothing', async () => {
    const unknown = await t.http.get('/api/users/activate/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG').set('Accept', BROWSER).expect(400);
    expectPageHeaders(unknown);
    expect(unknown.text).toContain('Token aktivasi tidak valid');
    expect(unknown.text).toContain('<form method="post" action="http://localhost:3000/api/users/activation/resend">');
    expect(unknown.text).toMatch(/<label for="email">Email<input id="email" type="email" name="email"/);
    await t.http.head('/api/users/activate/abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG').expect(400);
    const json = await t.http.get('/api/users/activate/nope').set('Accept', JSON_ACCEPT).expect(400);
    expect(json.body).toEqual({ error: ['Token aktivasi tidak valid'], message: 'Aktivasi gagal', data: null });

    const { email, path, token } = await registerInactive(t);
    await expireLink(t, token);
    const expired = await t.http.get(path).set('Accept', '*/*').expect(400);
    expect(expired.text).toContain('Aktivasi sudah expired');
    expect(expired.text).toContain('activation/resend');
    const expiredJson = await t.http.get(path).set('Accept', JSON_ACCEPT).expect(400);
    expect(expiredJson.body.error).toEqual(['Aktivasi sudah expired']);
    const expiredPost = await t.http.post(path).set('Accept', BROWSER).expect(400);
    expect(expiredPost.text).toContain('Aktivasi sudah expired');
    expect(await isLinkUsed(t, token)).toBe(false);
    expect(await loginStatus(t, email)).toBe(403);

    // The page's form: a browser posts it form-encoded and gets a page back; a fresh link arrives.
    const after = t.smtp.mark();
    const resent = await t.http.post('/api/users/activation/resend').set('Accept', BROWSER).type('form').send({ email }).expect(202);
    expectPageHeaders(resent);
    expect(resent.text).toContain('link aktivasi baru telah dikirim');
    const fresh = await t.smtp.waitFor(email, { kind: 'activation', after });
    await t.http.post(new URL(fresh.link!).pathname).set('Accept', BROWSER).expect(200);
    expect(await loginStatus(t, email)).toBe(200);
  });

  it('keeps the contract’s JSON for the resend and forgot routes', async () => {
    const resend = await t.http
      .post('/api/users/activation/resend')
      .send({ email: uniqueEmail('nobody') })
      .expect(202);
    expect(resend.body.error).toBeNull();
    const forgot = await t.http
      .post('/api/users/password/forgot')
      .send({ email: uniqueEmail('nobody') })
      .expect(202);
    expect(forgot.body.error).toBeNull();
  });
});

describe('the reset form and its outcomes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ LOGIN_URL: 'https://app.example.com/login' });
  });
  afterAll(async () => {
    await t.close();
  });

  async function resetLinkFor(email: string): Promise<{ url: URL; token: string }> {
    const after = t.smtp.mark();
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    const mail = await t.smtp.waitFor(email, { kind: 'password_reset', after });
    const url = new URL(mail.link!);
    return { url, token: url.searchParams.get('token')! };
  }

  it('serves the form with labelled fields, the page headers and no-store; looking at it uses nothing', async () => {
    const { email, path } = await registerInactive(t);
    await t.http.post(path).expect(200);
    const { url, token } = await resetLinkFor(email);
    const form = await t.http.get(`${url.pathname}${url.search}`).set('Accept', BROWSER).expect(200);
    expectPageHeaders(form);
    expect(form.headers['cache-control']).toBe('no-store');
    expect(form.text).toMatch(/<label for="password">Password<input id="password" type="password" name="password"/);
    expect(form.text).toMatch(/<label for="confirmation">Konfirmasi password<input id="confirmation"/);
    expect(form.text).not.toMatch(/<script/i);
    await t.http.get(`${url.pathname}${url.search}`).set('Accept', BROWSER).expect(200);

    // A mismatch from the browser shows the form again, with the error and the same token.
    const mismatch = await t.http
      .post('/api/users/password/reset')
      .set('Accept', BROWSER)
      .type('form')
      .send({ token, password: 'rahasiaBaru456', confirmation: 'lain' })
      .expect(400);
    expectPageHeaders(mismatch);
    expect(mismatch.headers['cache-control']).toBe('no-store');
    expect(mismatch.text).toContain('Konfirmasi password tidak sama dengan password');
    expect(mismatch.text).toContain(`<input type="hidden" name="token" value="${token}">`);

    const done = await t.http
      .post('/api/users/password/reset')
      .set('Accept', BROWSER)
      .type('form')
      .send({ token, password: 'rahasiaBaru456', confirmation: 'rahasiaBaru456' })
      .expect(200);
    expectPageHeaders(done);
    expect(done.text).toContain('Password berhasil direset');
    expect(done.text).toContain('href="https://app.example.com/login"');
    await tryLogin(t, email, 'rahasiaBaru456').expect(200);

    // Used: the link now says so, with a form to ask for a new one.
    const used = await t.http.get(`${url.pathname}${url.search}`).set('Accept', BROWSER).expect(400);
    expect(used.text).toContain('Token reset password tidak valid');
    expect(used.text).toContain('action="http://localhost:3000/api/users/password/forgot"');
  });

  it('says an expired or missing reset token is one before anyone types a password', async () => {
    const missing = await t.http.get('/api/users/password/reset').set('Accept', BROWSER).expect(400);
    expect(missing.text).toContain('Token reset password tidak valid');
    const { email, path } = await registerInactive(t);
    await t.http.post(path).expect(200);
    const { url, token } = await resetLinkFor(email);
    await expireLink(t, token);
    const expired = await t.http.get(`${url.pathname}${url.search}`).set('Accept', '*/*').expect(400);
    expect(expired.text).toContain('Link reset password sudah expired');
    const forgot = await t.http.post('/api/users/password/forgot').set('Accept', BROWSER).type('form').send({ email }).expect(202);
    expect(forgot.text).toContain('link reset password telah dikirim');
  });
});

describe('ACTIVATION_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ACTIVATION_URL: 'https://app.example.com/activate?from=mail' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('sends the activation link to the frontend page, whose token works at route 2b', async () => {
    const email = uniqueEmail('front');
    await t.http.post('/api/users').send({ name: 'Rina', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const mail = await t.smtp.waitFor(email, { kind: 'activation' });
    expect(mail.link).toMatch(/^https:\/\/app\.example\.com\/activate\?from=mail&token=[\w-]{43}$/);
    const token = new URL(mail.link!).searchParams.get('token')!;
    const res = await t.http.post(`/api/users/activate/${token}`).set('Accept', JSON_ACCEPT).expect(200);
    expect(res.body.message).toBe('Akun anda telah aktif');
  });
});
