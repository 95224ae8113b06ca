import fc from 'fast-check';
import { DataSource } from 'typeorm';
import type { Response } from 'supertest';
import { PASSWORD, registerActiveUser, startTestApp, type TestApp } from './support/app';
import { UsersService } from '../src/users/users.service';

// Property-based pass over every route (issue 9): generated JSON with wrong types, deep nesting
// and Unicode edge cases at each route's body, query and path, public and authenticated. Whatever
// comes in: no 5xx, the envelope (exactly error/message/data plus the contract's extras) on every
// JSON answer, and nothing persisted from a refused request. Runs are bounded (seeded by fast-check,
// the seed is printed on failure) so the file takes well under a minute.

const RUNS = 30;
const BASE_KEYS = ['data', 'error', 'message'];
const EXTRA_KEYS = new Set(['access_token', 'refresh_token', 'token_type', 'expires_in', 'meta']);
const FIELDS = [
  'name',
  'email',
  'password',
  'confirmation',
  'no_tlp',
  'gender',
  'role',
  'refresh_token',
  'token',
  'all',
  'current_password',
];

/** Characters that have broken text handling somewhere: NUL, lone surrogates, variation selectors, combining and RTL marks. */
const EDGE = [
  '\u0000',
  '\ud800',
  '\udfff',
  '\ufe0f',
  '\u0301',
  '\u202e',
  '\u200f',
  '\u200b',
  '\u2066',
  '\ufeff',
  '❤️',
  '😀',
  '\n',
  '"',
  '\\',
];
const edgeString = fc
  .array(
    fc.oneof(
      fc.constantFrom(...EDGE),
      fc.constantFrom('a', 'Z', '@', '.', ' ', '%', '{', '['),
      fc.string({ maxLength: 4, unit: 'binary' }),
    ),
    {
      maxLength: 40,
    },
  )
  .map((parts) => parts.join(''));
const longString = fc
  .tuple(fc.constantFrom('x', '❤️', 'e\u0301', '😀', '\u0000', 'a@b.co'), fc.integer({ min: 60, max: 6000 }))
  .map(([unit, n]) => unit.repeat(n));
const text = fc.oneof(fc.string(), edgeString, longString, fc.constantFrom('wanto@example.com', PASSWORD, 'Laki-laki', 'admin', ''));
const value: fc.Arbitrary<unknown> = fc.letrec<{ v: unknown }>((tie) => ({
  v: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    text,
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 8 })), tie('v'), { maxKeys: 3 }),
  ),
})).v;
/** A body: mostly an object with the routes' field names, sometimes anything at all, or nesting far too deep. */
const rawDeep = fc
  .tuple(fc.integer({ min: 30, max: 3000 }), fc.constantFrom(['[', ']'], ['{"a":', '}'], ['{"name":[', ']}']))
  .map(([depth, [open, close]]) => open.repeat(depth) + '1' + close.repeat(depth));
const body = fc.oneof(
  { weight: 5, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 }).map((o) => JSON.stringify(o)) },
  { weight: 2, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
  { weight: 1, arbitrary: rawDeep },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 50 }) },
);
/** A path segment or query value: arbitrary bytes, percent-encoded (broken escapes and invalid UTF-8 included), or text. */
const urlPart = fc.oneof(
  fc.uint8Array({ maxLength: 24 }).map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom('%E0%A4%A', '%', '%zz', '..', '%2e%2e', '%00', 'A1B2C3D4-0000-4000-8000-00000000000A', 'me', '-1', '1e9'),
  edgeString.map((s) => encodeURIComponent(s.replace(/[\ud800-\udfff]/g, ''))),
);
const query = fc.array(
  fc.tuple(fc.oneof(fc.constantFrom('page', 'limit', 'search', 'token', 'utm_source'), fc.string({ maxLength: 6 })), urlPart),
  {
    maxLength: 4,
  },
);

function expectContractAnswer(res: Response, what: string): void {
  expect(res.status, `${what} → ${res.status} ${res.text?.slice(0, 200)}`).toBeLessThan(500);
  if (!/application\/json/.test(String(res.headers['content-type']))) return;
  const keys = Object.keys(res.body);
  for (const key of BASE_KEYS) expect(keys, what).toContain(key);
  for (const key of keys) expect(BASE_KEYS.includes(key) || EXTRA_KEYS.has(key), `${what}: key ${key}`).toBe(true);
  if (res.status >= 400) {
    expect(keys.sort(), what).toEqual(BASE_KEYS);
    expect(res.body.data, what).toBeNull();
    expect(Array.isArray(res.body.error) && res.body.error.length > 0, what).toBe(true);
    for (const line of res.body.error) expect(line, what).not.toMatch(/\{\w+\}/);
  }
}

describe('fuzz: no 5xx, always the envelope, nothing persisted from a refusal', () => {
  let t: TestApp;
  let db: DataSource;
  let user: Awaited<ReturnType<typeof registerActiveUser>>;
  let admin: Awaited<ReturnType<typeof registerActiveUser>>;
  const userCount = async () => (await db.query(`SELECT count(*)::int AS count FROM users`))[0].count as number;
  const bearer = (account: { accessToken: string }) => `Bearer ${account.accessToken}`;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    [user, admin] = await Promise.all([registerActiveUser(t), registerActiveUser(t)]);
    await t.app.get(UsersService).promoteOrCreateAdmin(admin.email);
    const res = await t.http.post('/api/users/login').send({ email: admin.email, password: PASSWORD }).expect(200);
    admin = { ...admin, accessToken: res.body.access_token };
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh login whenever a fuzzed logout really ended the session. */
  async function relogin(): Promise<void> {
    const res = await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }).expect(200);
    user = { ...user, accessToken: res.body.access_token, refreshToken: res.body.refresh_token };
  }

  it('every JSON route, every body: public routes persist nothing they refuse', async () => {
    const before = await userCount();
    let created = 0;
    const routes = ['/api/users', '/api/users/register', '/api/users/login', '/api/users/refresh', '/api/users/activation/resend'];
    routes.push('/api/users/password/forgot', '/api/users/password/reset');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), body, fc.boolean(), async (path, payload, english) => {
        const req = t.http.post(path).set('Content-Type', 'application/json');
        if (english) req.set('Accept-Language', 'en');
        const res = await req.send(payload);
        expectContractAnswer(res, `POST ${path} ${payload.slice(0, 120)}`);
        if (res.status === 201) created += 1;
      }),
      { numRuns: RUNS * 3 },
    );
    await t.mailSettled();
    expect(await userCount()).toBe(before + created);
  });

  it('authenticated bodies (update, logout) with a valid token', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('put-self', 'put-self-upper', 'put-v1', 'logout'), body, async (route, payload) => {
        const path =
          route === 'logout'
            ? '/api/users/logout'
            : route === 'put-v1'
              ? `/api/v1/users/${user.id}`
              : `/api/users/${route === 'put-self-upper' ? user.id.toUpperCase() : user.id}`;
        const req = (route === 'logout' ? t.http.post(path) : t.http.put(path)).set('Authorization', bearer(user));
        const res = await req.set('Content-Type', 'application/json').send(payload);
        expectContractAnswer(res, `${route} ${payload.slice(0, 120)}`);
        if (res.status === 401 || (route === 'logout' && res.status === 200)) await relogin();
      }),
      { numRuns: RUNS * 2 },
    );
    const [row] = await db.query(`SELECT role, email FROM users WHERE id = $1`, [user.id]);
    expect(row).toEqual({ role: 'customer', email: user.email });
  });

  it('every path parameter, public and authenticated', async () => {
    const before = await userCount();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('get-user', 'put-user', 'delete-user', 'activate', 'confirm', 'activate-post', 'v1-user'),
        urlPart,
        async (route, part) => {
          const auth = { Authorization: bearer(user) };
          const res = await {
            'get-user': () => t.http.get(`/api/users/${part}`).set(auth),
            'put-user': () => t.http.put(`/api/users/${part}`).set(auth).send({ name: 'Fuzz' }),
            'delete-user': () => t.http.delete(`/api/users/${part}`).set(auth),
            activate: () => t.http.get(`/api/users/activate/${part}`).set('Accept', 'application/json'),
            confirm: () => t.http.get(`/api/users/email/confirm/${part}`).set('Accept', 'application/json'),
            'activate-post': () => t.http.post(`/api/users/activate/${part}`).set('Accept', 'application/json'),
            'v1-user': () => t.http.get(`/api/v1/users/${part}`).set(auth),
          }[route]();
          expectContractAnswer(res, `${route} ${part}`);
        },
      ),
      { numRuns: RUNS * 2 },
    );
    expect(await userCount()).toBe(before);
    expect((await t.http.get('/api/users/me').set('Authorization', bearer(user))).status).toBe(200);
  });

  it('every query string, public and authenticated', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('list', 'me', 'health', 'reset-form', 'login'), query, async (route, pairs) => {
        const qs = pairs.map(([k, v]) => `${encodeURIComponent(k.replace(/[\ud800-\udfff]/g, ''))}=${v}`).join('&');
        const res = await {
          list: () => t.http.get(`/api/users?${qs}`).set('Authorization', bearer(admin)),
          me: () => t.http.get(`/api/users/me?${qs}`).set('Authorization', bearer(user)),
          health: () => t.http.get(`/api/health?${qs}`),
          'reset-form': () => t.http.get(`/api/users/password/reset?${qs}`),
          login: () => t.http.post(`/api/users/login?${qs}`).send({ email: user.email, password: 'wrong-password' }),
        }[route]();
        expectContractAnswer(res, `${route} ?${qs}`);
      }),
      { numRuns: RUNS * 2 },
    );
  });

  it('bodies that are not JSON, or not UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/api/users', '/api/users/login', '/api/users/refresh', '/api/users/password/reset'),
        fc.constantFrom(
          'text/plain',
          'application/x-www-form-urlencoded',
          'application/json',
          'application/json; charset=latin1',
          'application/xml',
        ),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        async (path, type, bytes) => {
          const res = await t.http.post(path).set('Content-Type', type).send(Buffer.from(bytes));
          expectContractAnswer(res, `POST ${path} as ${type}`);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
