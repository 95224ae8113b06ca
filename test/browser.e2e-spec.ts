import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { PASSWORD, startTestApp, tryLogin, uniqueEmail, type TestApp } from './support';

/**
 * A person's day in a real browser (Debian's chromium): Swagger UI's "Try it out" registers, the
 * emailed link opens the activation page, its button activates, Swagger logs in, "Authorize"
 * takes the access token and GET /api/users/me answers 200; then the reset form from the forgot
 * email. Screenshots of every step go to test-artifacts/ (look at them).
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = path.resolve('test-artifacts');
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`browser.e2e-spec: skipped, no chromium at ${CHROMIUM} (apt-get install -y chromium)`);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe.skipIf(!hasChromium)('in a browser: Swagger UI, the activation page, the reset form', () => {
  let t: TestApp;
  let context: BrowserContext;
  let profile: string;
  /** Content-Security-Policy refusals and page errors: there must be none. */
  const problems: string[] = [];
  let step = 0;

  /** A whole page, or one Swagger UI operation block (the full Swagger page is too tall to read). */
  async function shot(target: Page | Locator, name: string): Promise<void> {
    step += 1;
    const file = path.join(ARTIFACTS, `${String(step).padStart(2, '0')}-${name}.png`);
    if ('goto' in target) await target.screenshot({ path: file, fullPage: true });
    else await target.screenshot({ path: file });
    console.log(`screenshot: ${file}`);
  }

  function watch(page: Page): Page {
    page.on('console', (message) => {
      if (/Content.Security.Policy|Refused to/i.test(message.text())) problems.push(`${page.url()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${page.url()}: ${error.message}`));
    return page;
  }

  /** The Swagger UI block of one operation, found by method and path (not by its generated id). */
  function operation(page: Page, method: string, route: string): Locator {
    return page
      .locator(`.opblock.opblock-${method}`)
      .filter({ has: page.locator(`.opblock-summary-path[data-path="${route}"]`) })
      .first();
  }

  async function tryItOut(page: Page, block: Locator, body?: unknown): Promise<void> {
    await block.locator('.opblock-summary').first().click();
    await block.getByRole('button', { name: 'Try it out' }).click();
    if (body !== undefined) await block.locator('textarea.body-param__text').fill(JSON.stringify(body, null, 2));
    await block.getByRole('button', { name: 'Execute' }).click();
  }

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    t = await startTestApp({ PORT: String(port), APP_URL: url, LOGIN_URL: `${url}/docs` });
    profile = await mkdtemp(path.join(tmpdir(), 'alat-berat-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      // An Indonesian reader (Accept-Language: id-ID); the English page sets its own header.
      locale: 'id-ID',
    });
  });

  afterAll(async () => {
    await context?.close();
    await t?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('registers in Swagger UI, activates with the button, logs in, authorizes and reads /me', { timeout: 180_000 }, async () => {
    const email = uniqueEmail('browser');
    const docs = watch(await context.newPage());
    await docs.goto(`${t.url}/docs`);
    await docs.locator('.opblock').first().waitFor();
    await docs.screenshot({ path: path.join(ARTIFACTS, '01-swagger-ui.png') });
    console.log(`screenshot: ${path.join(ARTIFACTS, '01-swagger-ui.png')}`);
    step = 1;

    const register = operation(docs, 'post', '/api/users');
    const registered = docs.waitForResponse((r) => r.url() === `${t.url}/api/users` && r.request().method() === 'POST');
    await tryItOut(docs, register, { name: 'Wanto', email, password: PASSWORD, confirmation: PASSWORD });
    expect((await registered).status()).toBe(201);
    await register.locator('.live-responses-table tr.response .response-col_status').first().waitFor();
    await shot(register, 'swagger-register-201');

    // The link a person would click: the one the SMTP server received.
    const mail = await t.smtp.waitFor(email, { kind: 'activation' });
    const phone = watch(await context.newPage());
    await phone.setViewportSize({ width: 390, height: 844 });
    // The mail as received, rendered on a phone-sized screen (what a webmail shows, roughly).
    await phone.setContent(mail.html);
    expect(await phone.getByRole('link', { name: 'Aktifkan akun' }).getAttribute('href')).toBe(mail.link);
    await shot(phone, 'activation-mail');
    await phone.goto(mail.link!);
    expect(await phone.locator('h1').textContent()).toBe('Aktifkan akun anda');
    await shot(phone, 'activation-page');
    // Opening the page activated nothing.
    await tryLogin(t, email, PASSWORD).expect(403);

    await phone.getByRole('button', { name: 'Aktifkan akun' }).click();
    await phone.waitForLoadState();
    expect(await phone.locator('h1').textContent()).toBe('Akun anda telah aktif');
    expect(await phone.getByRole('link', { name: 'Login' }).getAttribute('href')).toBe(`${t.url}/docs`);
    await shot(phone, 'activation-done');

    const login = operation(docs, 'post', '/api/users/login');
    const loggedIn = docs.waitForResponse((r) => r.url() === `${t.url}/api/users/login`);
    await tryItOut(docs, login, { email, password: PASSWORD });
    const loginResponse = await loggedIn;
    expect(loginResponse.status()).toBe(200);
    const accessToken = (await loginResponse.json()).access_token as string;
    expect(accessToken).toMatch(/^ey/);
    await login.locator('.live-responses-table tr.response .response-col_status').first().waitFor();
    await shot(login, 'swagger-login-200');

    await docs.locator('.scheme-container button.authorize').click();
    const modal = docs.locator('.modal-ux');
    await modal.locator('input').first().fill(accessToken);
    await modal.locator('button.modal-btn.authorize').click();
    await shot(modal.locator('.modal-ux-inner'), 'swagger-authorized');
    await modal.locator('button.btn-done').click();

    const me = operation(docs, 'get', '/api/users/me');
    const meAnswered = docs.waitForResponse((r) => r.url() === `${t.url}/api/users/me`);
    await tryItOut(docs, me);
    const meResponse = await meAnswered;
    expect(meResponse.status()).toBe(200);
    expect((await meResponse.json()).data[0].email).toBe(email);
    expect(meResponse.request().headers().authorization).toBe(`Bearer ${accessToken}`);
    const status = me.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor();
    expect((await status.textContent())?.trim()).toBe('200');
    await shot(me, 'swagger-me-200');

    // The reset form from a forgot email: a mismatch first, then the real thing.
    const after = t.smtp.mark();
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    const resetMail = await t.smtp.waitFor(email, { kind: 'password_reset', after });
    await phone.goto(resetMail.link!);
    expect(await phone.locator('h1').textContent()).toBe('Buat password baru');
    await shot(phone, 'reset-form');
    await phone.getByLabel('Password', { exact: true }).fill('rahasiaBaru456');
    await phone.getByLabel('Konfirmasi password').fill('rahasiaLain789');
    await phone.getByRole('button', { name: 'Simpan password' }).click();
    await phone.waitForLoadState();
    expect(await phone.locator('ul.errors').textContent()).toContain('Konfirmasi password tidak sama dengan password');
    await shot(phone, 'reset-form-mismatch');
    await phone.getByLabel('Password', { exact: true }).fill('rahasiaBaru456');
    await phone.getByLabel('Konfirmasi password').fill('rahasiaBaru456');
    await phone.getByRole('button', { name: 'Simpan password' }).click();
    await phone.waitForLoadState();
    expect(await phone.locator('h1').textContent()).toBe('Password berhasil direset');
    await shot(phone, 'reset-done');
    await tryLogin(t, email, 'rahasiaBaru456').expect(200);

    // An English reader with a used link: the page says so and offers a new one.
    const english = watch(await context.newPage());
    await english.setViewportSize({ width: 390, height: 844 });
    // The context's locale would win over extra headers: rewrite the request's own.
    await english.route('**/*', (route) =>
      route.continue({ headers: { ...route.request().headers(), 'accept-language': 'en-US,en;q=0.9' } }),
    );
    await english.goto(resetMail.link!);
    expect(await english.locator('h1').textContent()).toBe('Invalid password reset token');
    await shot(english, 'reset-used-en');

    expect(problems).toEqual([]);
  });
});
