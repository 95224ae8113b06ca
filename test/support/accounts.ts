import { UsersService } from '../../src/users/users.service';
import type { TestApp } from './app';
import { ADMIN_PASSWORD, PASSWORD, uniqueEmail } from './fixtures';

/** A logged-in account: what registerActiveUser, login and createAdmin return. */
export interface TestAccount {
  id: string;
  email: string;
  password: string;
  accessToken: string;
  refreshToken: string;
}

/** The claims of an access token (decoded, not verified). */
export interface AccessClaims {
  sub: string;
  sid: string;
  role: string;
  typ: string;
  iss: string;
  aud: string;
  iat: number;
  exp: number;
  [claim: string]: unknown;
}

/** The login request itself, for asserting its status: `await tryLogin(t, email, WRONG_PASSWORD).expect(401)`. */
export function tryLogin(t: TestApp, email: string, password: string, headers: Record<string, string> = {}) {
  return t.http.post('/api/users/login').set(headers).send({ email, password });
}

/** Logs in (expecting 200) and returns the account with its new pair of tokens. */
export async function login(t: TestApp, email: string, password = PASSWORD): Promise<TestAccount> {
  const res = await tryLogin(t, email, password).expect(200);
  return {
    id: res.body.data[0].id,
    email: res.body.data[0].email,
    password,
    accessToken: res.body.access_token,
    refreshToken: res.body.refresh_token,
  };
}

/** `.set(bearer(account))` or `.set(bearer(token))`. */
export function bearer(tokenOrAccount: string | { accessToken: string }): { Authorization: string } {
  return { Authorization: `Bearer ${typeof tokenOrAccount === 'string' ? tokenOrAccount : tokenOrAccount.accessToken}` };
}

/** The payload of a JWT, decoded without checking the signature. */
export function claims(accessToken: string): AccessClaims {
  return JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8'));
}

/** The refresh request, refresh token in the body. */
export function refresh(t: TestApp, refreshToken: string) {
  return t.http.post('/api/users/refresh').send({ refresh_token: refreshToken });
}

/** Registers, follows the emailed activation link and logs in; returns the logged-in account. */
export async function registerActiveUser(t: TestApp, overrides: Record<string, unknown> = {}): Promise<TestAccount> {
  const email = (overrides.email as string) ?? uniqueEmail();
  const password = (overrides.password as string) ?? PASSWORD;
  // Only a mail sent after this registration: the address may have been registered (and deleted) before.
  const after = t.smtp.mark();
  const register = await t.http
    .post('/api/users')
    .send({ name: 'Wanto', email, password, confirmation: password, ...overrides })
    .expect(201);
  const mail = await t.smtp.waitFor(email, { kind: 'activation', after });
  await t.http.get(new URL(mail.link!).pathname).expect(200);
  const account = await login(t, email, password);
  return { ...account, id: register.body.data[0].id as string, email };
}

/**
 * An administrator made the one way the service makes them (UsersService.promoteOrCreateAdmin,
 * as `npm run user:admin` does), logged in. An existing address is promoted and activated.
 */
export async function createAdmin(t: TestApp, options: { email?: string; name?: string; password?: string } = {}): Promise<TestAccount> {
  const email = options.email ?? uniqueEmail('admin');
  const password = options.password ?? ADMIN_PASSWORD;
  await t.app.get(UsersService).promoteOrCreateAdmin(email, options.name, password);
  return login(t, email, password);
}

/** No password, hash or token ever leaves the service in a user body. */
export function expectNoSecrets(body: unknown): void {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/password|hash|\$2[aby]\$/i);
  expect(text).not.toMatch(/access_token|refresh_token/);
}
