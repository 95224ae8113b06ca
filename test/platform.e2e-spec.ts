import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { claims, PASSWORD, registerActiveUser, startTestApp, tryLogin, uniqueEmail, type TestApp } from './support';

describe('health, docs, JWKS and the admin command', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('reports the database up', async () => {
    const res = await t.http.get('/api/health').expect(200);
    expect(res.body).toEqual({ error: null, message: 'Service berjalan normal', data: [{ status: 'ok', database: 'up' }] });
  });

  it('serves Swagger UI and an OpenAPI 3 document with every contract route and the bearer scheme', async () => {
    const ui = await t.http.get('/docs').expect(200);
    expect(ui.text).toContain('swagger-ui');
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    const expected: Array<[string, string]> = [
      ['post', '/api/users'],
      ['get', '/api/users/activate/{token}'],
      ['post', '/api/users/activation/resend'],
      ['post', '/api/users/login'],
      ['post', '/api/users/refresh'],
      ['post', '/api/users/logout'],
      ['get', '/api/users/me'],
      ['post', '/api/users/password/forgot'],
      ['post', '/api/users/password/reset'],
      ['get', '/api/health'],
      ['get', '/.well-known/jwks.json'],
    ];
    for (const [method, route] of expected) {
      const operation = doc.paths[route]?.[method];
      expect(operation, `${method} ${route}`).toBeDefined();
      // Every API route documents its failures too; the JWKS has none.
      if (route.startsWith('/api/')) expect(Object.keys(operation.responses).length, `${method} ${route} responses`).toBeGreaterThan(1);
    }
    expect(doc.paths['/api/users'].post.requestBody.content['application/json'].schema.$ref).toMatch(/RegisterDto/);
    expect(doc.paths['/api/users/me'].get.security).toEqual([{ bearer: [] }]);
    expect(doc.components.schemas.UserResponseDto.required.sort()).toEqual([
      'created_at',
      'email',
      'gender',
      'id',
      'is_active',
      'name',
      'no_tlp',
      'role',
      'updated_at',
    ]);
  });

  it('publishes a JWKS that another party verifies access tokens with, and the claims hold no personal data', async () => {
    const res = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toMatch(/max-age=\d+/);
    const [key] = res.body.keys;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key.d).toBeUndefined();

    const user = await registerActiveUser(t);
    const jwks = createRemoteJWKSet(new URL(`${t.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(user.accessToken, jwks, {
      issuer: t.config.auth.issuer,
      audience: t.config.auth.audience,
      algorithms: ['ES256'],
    });
    expect(protectedHeader.kid).toBe(key.kid);
    expect(Object.keys(payload).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'role', 'sid', 'sub', 'typ']);
    expect(payload).toMatchObject({ sub: user.id, role: 'customer', typ: 'access' });
    expect(payload.exp! - payload.iat!).toBe(900);
    expect(decodeProtectedHeader(user.accessToken).alg).toBe('ES256');
  });

  it('refuses an access token whose claims were altered (signature no longer matches)', async () => {
    const user = await registerActiveUser(t);
    const [header, , signature] = user.accessToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims(user.accessToken), role: 'admin' })).toString('base64url');
    await t.http.get('/api/users/me').set('Authorization', `Bearer ${header}.${forged}.${signature}`).expect(401);
  });

  it('makes the first admin from the command line, promoting an existing account', () => {
    const email = uniqueEmail('admin');
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl'), BCRYPT_COST: '4' };
    const cli = ['node_modules/.bin/ts-node', 'src/cli/make-admin.ts'];
    const created = spawnSync(cli[0], [cli[1], email, 'Ibu Admin'], { env, encoding: 'utf8' });
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/created admin .* with password: \S+/);
    const again = spawnSync(cli[0], [cli[1], email.toUpperCase()], { env, encoding: 'utf8' });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('is now an admin');
    const bad = spawnSync(cli[0], [cli[1], 'not-an-email'], { env, encoding: 'utf8' });
    expect(bad.status).toBe(2);
  }, 60_000);

  it('logs the created admin in with the printed password', async () => {
    const email = uniqueEmail('admin');
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl'), BCRYPT_COST: '4' };
    const run = spawnSync('node_modules/.bin/ts-node', ['src/cli/make-admin.ts', email], { env, encoding: 'utf8' });
    const password = /with password: (\S+)/.exec(run.stdout)?.[1];
    expect(password, run.stderr).toBeDefined();
    const login = await tryLogin(t, email, password!).expect(200);
    expect(login.body.data[0]).toMatchObject({ role: 'admin', is_active: true });
    const rows = await t.app.get(DataSource).query('SELECT role FROM users WHERE email = $1', [email]);
    expect(rows).toEqual([{ role: 'admin' }]);
  }, 60_000);
});

describe('health when the database goes away', () => {
  it('answers 503 with database "down" in the envelope, and a request that needs the database 503 too', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'alat-berat-down-'));
    const database = await startEmbeddedPostgres(dir);
    const t = await startTestApp({ DATABASE_URL: database.url });
    try {
      await t.http.get('/api/health').expect(200);
      await database.stop();
      const res = await t.http.get('/api/health').expect(503);
      expect(res.body).toEqual({
        error: ['Database tidak tersedia'],
        message: 'Proses gagal',
        data: [{ status: 'error', database: 'down' }],
      });
      const login = await tryLogin(t, uniqueEmail(), PASSWORD);
      expect(login.status).toBe(503);
      expect(login.body.error).toEqual(['Database tidak tersedia']);
    } finally {
      await t.close().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
