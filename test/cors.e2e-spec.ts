import { generateKeyPairSync } from 'node:crypto';
import { inject } from 'vitest';
import { startTestApp, type TestApp } from './support';

const FRONTEND = 'https://app.example.com';

/** A browser's preflight before `GET /api/users/me` with a bearer token. */
function preflight(t: TestApp, origin: string) {
  return t.http
    .options('/api/users/me')
    .set('Origin', origin)
    .set('Access-Control-Request-Method', 'GET')
    .set('Access-Control-Request-Headers', 'authorization,content-type');
}

function expectNoCors(res: { headers: Record<string, string> }): void {
  for (const name of Object.keys(res.headers)) expect(name, name).not.toMatch(/^access-control-/);
}

describe('CORS from CORS_ORIGINS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: `${FRONTEND}, https://admin.example.com` });
  });
  afterAll(async () => {
    await t.close();
  });

  it('answers a listed origin’s preflight: Authorization and Content-Type allowed, no credentials', async () => {
    const res = await preflight(t, FRONTEND).expect(204);
    expect(res.headers['access-control-allow-origin']).toBe(FRONTEND);
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toMatch(/authorization/);
    expect(res.headers['access-control-allow-headers']?.toLowerCase()).toMatch(/content-type/);
    expect(res.headers['access-control-allow-methods']).toMatch(/PUT/);
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toMatch(/Origin/);
  });

  it('answers an OPTIONS without Access-Control-Request-Method as a preflight too, never a plain-text 400', async () => {
    const res = await t.http.options('/api/users/me').set('Origin', FRONTEND);
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(FRONTEND);
  });

  it('gives the listed origin the header on the actual request too, errors included', async () => {
    const health = await t.http.get('/api/health').set('Origin', 'https://admin.example.com').expect(200);
    expect(health.headers['access-control-allow-origin']).toBe('https://admin.example.com');
    expect(health.headers['access-control-expose-headers']).toMatch(/Retry-After/);
    const denied = await t.http.get('/api/users/me').set('Origin', FRONTEND).expect(401);
    expect(denied.headers['access-control-allow-origin']).toBe(FRONTEND);
    expect(denied.body.error).toEqual(['Token tidak ditemukan']);
  });

  it('gives a foreign origin no CORS header, on preflight or request', async () => {
    expectNoCors(await preflight(t, 'https://evil.example.net'));
    expectNoCors(await t.http.get('/api/health').set('Origin', 'https://evil.example.net').expect(200));
    // A listed origin's look-alikes are foreign too; so is localhost once a list is set.
    expectNoCors(await preflight(t, 'https://app.example.com.evil.net'));
    expectNoCors(await preflight(t, 'http://localhost:5173'));
  });
});

describe('CORS defaults', () => {
  it('allows any http://localhost:<port> in development and nothing else', async () => {
    const t = await startTestApp({ NODE_ENV: 'development' });
    try {
      const vite = await preflight(t, 'http://localhost:5173').expect(204);
      expect(vite.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expectNoCors(await preflight(t, FRONTEND));
      expectNoCors(await preflight(t, 'https://localhost:5173'));
      expectNoCors(await preflight(t, 'http://localhost.evil.net'));
    } finally {
      await t.close();
    }
  });

  it('allows nothing in production unless CORS_ORIGINS is set', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const t = await startTestApp({
      NODE_ENV: 'production',
      DATABASE_URL: inject('databaseUrl'),
      JWT_PRIVATE_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    try {
      expectNoCors(await preflight(t, 'http://localhost:5173'));
      expectNoCors(await t.http.get('/api/health').set('Origin', 'http://localhost:5173').expect(200));
    } finally {
      await t.close();
    }
  });

  it('allows any origin with CORS_ORIGINS=*', async () => {
    const t = await startTestApp({ CORS_ORIGINS: '*' });
    try {
      const res = await preflight(t, 'https://anything.example').expect(204);
      expect(res.headers['access-control-allow-origin']).toBe('*');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
