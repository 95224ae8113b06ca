import type { Response } from 'supertest';
import type { Redis } from 'ioredis';
import { REDIS } from '../src/rate-limit/redis.module';
import { freePort } from '../src/database/embedded-postgres';
import {
  deleteKeysUnder,
  keysUnder,
  NEW_PASSWORD,
  PASSWORD,
  redisAvailable,
  refresh,
  registerActiveUser,
  startTestApp,
  TEST_REDIS_URL,
  tryLogin,
  uniqueEmail,
  uniqueRedisPrefix,
  WRONG_PASSWORD,
  type TestApp,
} from './support';

/** Each public auth route with a request that is cheap and harmless to repeat. */
const ROUTES: [string, (t: TestApp) => Promise<Response>, number][] = [
  ['register', (t) => t.http.post('/api/users').send({}), 400],
  ['login', (t) => tryLogin(t, 'nobody@example.com', WRONG_PASSWORD), 401],
  ['refresh', (t) => refresh(t, 'not-a-token'), 401],
  ['resend', (t) => t.http.post('/api/users/activation/resend').send({ email: 'nobody@example.com' }), 202],
  ['forgot', (t) => t.http.post('/api/users/password/forgot').send({ email: 'nobody@example.com' }), 202],
  [
    'reset',
    (t) => t.http.post('/api/users/password/reset').send({ token: 'not-a-token', password: PASSWORD, confirmation: PASSWORD }),
    400,
  ],
];

const forgot = (t: TestApp, forwardedFor?: string) => {
  const req = t.http.post('/api/users/password/forgot');
  if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
  return req.send({ email: 'nobody@example.com' });
};

/** A login attempt from that client address (believed when TRUST_PROXY is set). */
const loginFrom = (t: TestApp, email: string, password: string, forwardedFor: string) =>
  tryLogin(t, email, password, { 'X-Forwarded-For': forwardedFor });

function expectRateLimited(res: Response, maxRetryAfter = 60) {
  expect(res.status).toBe(429);
  expect(res.body.error).toEqual(['Terlalu banyak permintaan, coba lagi nanti']);
  expect(res.body.data).toBeNull();
  const retryAfter = Number(res.headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  // The standard header only (a throttler with its own name adds "Retry-After-<name>" too).
  expect(Object.keys(res.headers).filter((name) => name.startsWith('retry-after'))).toEqual(['retry-after']);
}

const TOO_MANY_FAILURES = { error: ['Terlalu banyak percobaan login gagal, coba lagi nanti'], message: 'Login gagal', data: null };

describe('rate limit per client address (RATE_LIMIT_PER_MINUTE=3, in memory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3', LOGIN_FAILURES_LIMIT: '0' });
  });
  afterAll(async () => {
    await t.close();
  });

  // Counters are per route: each route below starts fresh although the ones before are exhausted.
  it.each(ROUTES)('limits %s: the 4th request in a minute is 429 with Retry-After', async (_, send, usual) => {
    for (let i = 0; i < 3; i++) {
      const res = await send(t);
      expect(res.status).toBe(usual);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(2 - i));
    }
    expectRateLimited(await send(t));
  });

  it('does not let a spoofed X-Forwarded-For dodge the limit when TRUST_PROXY is unset', async () => {
    const other = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      for (const address of ['198.51.100.1', '198.51.100.2', '198.51.100.3']) await forgot(other, address).expect(202);
      expectRateLimited(await forgot(other, '198.51.100.4'));
    } finally {
      await other.close();
    }
  });

  it('keeps a separate count per instance without REDIS_URL', async () => {
    const other = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3' });
    try {
      // This app's forgot counter for 127.0.0.1 is exhausted by now; the other app's is not.
      expectRateLimited(await forgot(t));
      await forgot(other).expect(202);
    } finally {
      await other.close();
    }
  });
});

describe('rate limit behind a proxy (TRUST_PROXY=1)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '3', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('counts distinct forwarded addresses separately', async () => {
    for (let i = 1; i <= 6; i++) await forgot(t, `203.0.113.${i}`).expect(202);
    await forgot(t, '203.0.113.1').expect(202);
    await forgot(t, '203.0.113.1').expect(202);
    expectRateLimited(await forgot(t, '203.0.113.1'));
    await forgot(t, '203.0.113.2').expect(202);
  });

  it('believes only the hop the proxy added, not addresses the client prepended', async () => {
    for (let i = 0; i < 3; i++) await forgot(t, `10.9.9.${i}, 192.0.2.77`).expect(202);
    expectRateLimited(await forgot(t, '10.9.9.200, 192.0.2.77'));
  });
});

describe('RATE_LIMIT_PER_MINUTE=0', () => {
  it('turns the per-address limit off', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      const statuses = await Promise.all(Array.from({ length: 10 }, () => forgot(t).then((res) => res.status)));
      expect(statuses).toEqual(Array(10).fill(202));
    } finally {
      await t.close();
    }
  });
});

describe('failed logins per account (LOGIN_FAILURES_LIMIT=3, in memory)', () => {
  let t: TestApp;
  beforeAll(async () => {
    // TRUST_PROXY lets each attempt come from its own address: the limit is per account, not per address.
    t = await startTestApp({ LOGIN_FAILURES_LIMIT: '3', TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('locks the account after 3 failures from any addresses, even for the right password', async () => {
    const user = await registerActiveUser(t);
    const bystander = await registerActiveUser(t);
    for (let i = 1; i <= 3; i++) await loginFrom(t, user.email, WRONG_PASSWORD, `198.51.100.${i}`).expect(401);
    const locked = await loginFrom(t, user.email, PASSWORD, '198.51.100.99').expect(429);
    expect(locked.body).toEqual(TOO_MANY_FAILURES);
    // A 15-minute window, not the per-minute one.
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(800);
    expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(900);
    // Another case of the same address is the same account.
    await loginFrom(t, user.email.toUpperCase(), PASSWORD, '198.51.100.100').expect(429);
    await loginFrom(t, bystander.email, PASSWORD, '198.51.100.1').expect(200);
  });

  it('answers an email that does not exist the same way', async () => {
    const ghost = uniqueEmail('ghost');
    for (let i = 1; i <= 3; i++) {
      const res = await loginFrom(t, ghost, WRONG_PASSWORD, `198.51.100.${i}`).expect(401);
      expect(res.body.error).toEqual(['Email atau password salah']);
    }
    expect((await loginFrom(t, ghost, WRONG_PASSWORD, '198.51.100.50').expect(429)).body).toEqual(TOO_MANY_FAILURES);
  });

  it('starts counting again after a successful login', async () => {
    const user = await registerActiveUser(t);
    for (let i = 0; i < 2; i++) await loginFrom(t, user.email, WRONG_PASSWORD, '198.51.100.7').expect(401);
    await loginFrom(t, user.email, PASSWORD, '198.51.100.7').expect(200);
    for (let i = 0; i < 3; i++) await loginFrom(t, user.email, WRONG_PASSWORD, '198.51.100.7').expect(401);
    await loginFrom(t, user.email, PASSWORD, '198.51.100.7').expect(429);
  });

  it('lifts the lock when the owner resets the password from the emailed link', async () => {
    const user = await registerActiveUser(t);
    for (let i = 1; i <= 3; i++) await loginFrom(t, user.email, WRONG_PASSWORD, `198.51.100.${20 + i}`).expect(401);
    await loginFrom(t, user.email, PASSWORD, '198.51.100.30').expect(429);
    const after = t.smtp.mark();
    await t.http.post('/api/users/password/forgot').send({ email: user.email }).expect(202);
    const mail = await t.smtp.waitFor(user.email, { kind: 'password_reset', after });
    const token = new URL(mail.link!).searchParams.get('token');
    await t.http.post('/api/users/password/reset').send({ token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }).expect(200);
    await loginFrom(t, user.email, NEW_PASSWORD, '198.51.100.31').expect(200);
  });

  it('lets no more than 3 of 12 simultaneous wrong guesses through to a password check', async () => {
    const user = await registerActiveUser(t);
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => loginFrom(t, user.email, WRONG_PASSWORD, `203.0.113.${i + 1}`)));
    const statuses = results.map((res) => res.status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(3);
    expect(statuses.filter((status) => status === 429)).toHaveLength(9);
  });
});

describe.skipIf(!redisAvailable)('limits shared through Redis (REDIS_URL)', () => {
  const prefix = uniqueRedisPrefix('rate-limit');
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    RATE_LIMIT_PER_MINUTE: '3',
    LOGIN_FAILURES_LIMIT: '3',
    TRUST_PROXY: '1',
  };
  let a: TestApp;
  let b: TestApp;
  let aClosed = false;
  beforeAll(async () => {
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
  });
  afterAll(async () => {
    if (!aClosed) await a?.close();
    await b?.close();
    await deleteKeysUnder(prefix);
  });

  it('shares the per-address limit between two instances', async () => {
    await forgot(a, '192.0.2.10').expect(202);
    await forgot(b, '192.0.2.10').expect(202);
    await forgot(a, '192.0.2.10').expect(202);
    expectRateLimited(await forgot(b, '192.0.2.10'));
    expectRateLimited(await forgot(a, '192.0.2.10'));
    await forgot(b, '192.0.2.11').expect(202);
  });

  it('shares the failed-login count of an account between two instances', async () => {
    const ghost = uniqueEmail('ghost');
    await loginFrom(a, ghost, WRONG_PASSWORD, '192.0.2.21').expect(401);
    await loginFrom(b, ghost, WRONG_PASSWORD, '192.0.2.22').expect(401);
    await loginFrom(a, ghost, WRONG_PASSWORD, '192.0.2.23').expect(401);
    expect((await loginFrom(b, ghost, WRONG_PASSWORD, '192.0.2.24').expect(429)).body).toEqual(TOO_MANY_FAILURES);
  });

  it('keeps its counters under REDIS_KEY_PREFIX, each with an expiry', async () => {
    const keys = await keysUnder(prefix);
    expect([...keys.keys()].some((key) => key.startsWith(`${prefix}login-failures:`))).toBe(true);
    expect([...keys.keys()].some((key) => key.endsWith(':default}:hits'))).toBe(true);
    // The addresses people typed are hashed before they become keys.
    for (const key of keys.keys()) expect(key).not.toContain('@');
    for (const [key, ttl] of keys) expect(ttl, key).toBeGreaterThan(0);
  });

  it('closes its Redis connection when the app closes', async () => {
    const redis = a.app.get<Redis>(REDIS);
    expect(redis.status).toBe('ready');
    await a.close();
    aClosed = true;
    expect(redis.status).toBe('end');
  });
});

describe('REDIS_URL set but Redis unreachable', () => {
  it('answers the rate-limited routes 503 in the envelope (never 500), and the others normally', async () => {
    const t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${await freePort()}`, RATE_LIMIT_PER_MINUTE: '5' });
    try {
      const res = await tryLogin(t, uniqueEmail(), PASSWORD);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: ['Layanan sementara tidak tersedia, coba lagi nanti'], message: 'Login gagal', data: null });
      await t.http.get('/api/health').expect(200);
    } finally {
      await t.close();
    }
  });
});
