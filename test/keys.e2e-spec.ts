import { spawnSync } from 'node:child_process';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { calculateJwkThumbprint, createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { inject } from 'vitest';
import { KeysService } from '../src/keys/keys.service';
import { registerActiveUser, selfIssuedEnv, startTestApp, type TestApp } from './support/app';
import { ageSigningKeys } from './support/keys';
import { bearer } from './support/accounts';

async function jwks(t: TestApp): Promise<JWK[]> {
  return (await t.http.get('/.well-known/jwks.json').expect(200)).body.keys;
}

function newPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

async function kidOf(pem: string): Promise<string> {
  return calculateJwkThumbprint(createPrivateKey(pem).export({ format: 'jwk' }) as JWK, 'sha256');
}

describe('discovery and the JWKS (routes 19, 16)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp(await selfIssuedEnv());
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves exactly the contract’s discovery document', async () => {
    const res = await t.http.get('/.well-known/openid-configuration').expect(200);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body).toEqual({
      issuer: t.url,
      jwks_uri: `${t.url}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['ES256'],
      subject_types_supported: ['public'],
      introspection_endpoint: `${t.url}/api/token/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    });
    // Every endpoint it names is served.
    await t.http.get(new URL(res.body.jwks_uri).pathname).expect(200);
    await t.http.post(new URL(res.body.introspection_endpoint).pathname).expect(401);
  });

  it('is enough for openid-client configured with the issuer URL only', async () => {
    const config = await oidc.discovery(new URL(t.config.auth.issuer), 'rentals', undefined, undefined, {
      execute: [oidc.allowInsecureRequests],
    });
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(t.config.auth.issuer);
    expect(metadata.jwks_uri).toBe(`${t.url}/.well-known/jwks.json`);
    expect(metadata.introspection_endpoint).toBe(`${t.url}/api/token/introspect`);
  });

  it('signs with typ at+jwt, a kid from the JWKS and a random jti; the JWKS is cacheable for 10 minutes', async () => {
    const res = await t.http.get('/.well-known/jwks.json').expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=600');
    for (const key of res.body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
      expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    }
    // The signer and the next key, published before it signs.
    expect(res.body.keys.length).toBeGreaterThanOrEqual(2);
    const user = await registerActiveUser(t);
    const again = await t.http.post('/api/users/login').send({ email: user.email, password: user.password }).expect(200);
    const header = decodeProtectedHeader(user.accessToken);
    expect(header).toEqual({ alg: 'ES256', kid: res.body.keys[0].kid, typ: 'at+jwt' });
    const claims = decodeJwt(user.accessToken);
    expect(Object.keys(claims).sort()).toEqual(['aud', 'exp', 'iat', 'iss', 'jti', 'role', 'sid', 'sub', 'typ']);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
    expect(decodeJwt(again.body.access_token).jti).not.toBe(claims.jti);
    await jwtVerify(user.accessToken, createLocalJWKSet({ keys: res.body.keys }), {
      issuer: t.url,
      audience: 'alat-berat',
      algorithms: ['ES256'],
      typ: 'at+jwt',
    });
  });
});

describe('managed keys: shared by the instances, rotated without refusing a token', () => {
  let a: TestApp;
  let b: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    // A first start of two instances at once on a database without keys: they must not make two.
    const pg = new Client({ connectionString: inject('databaseUrl') });
    await pg.connect();
    await pg.query(`DELETE FROM signing_keys`);
    await pg.end();
    [a, b] = await Promise.all([startTestApp(), startTestApp()]);
    db = a.app.get(DataSource);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
  });

  it('two instances on one database sign with one key, and each accepts the other’s tokens', async () => {
    const [fromA, fromB] = await Promise.all([registerActiveUser(a), registerActiveUser(b)]);
    expect(decodeProtectedHeader(fromA.accessToken).kid).toBe(decodeProtectedHeader(fromB.accessToken).kid);
    await b.http.get('/api/users/me').set(bearer(fromA.accessToken)).expect(200);
    await a.http.get('/api/users/me').set(bearer(fromB.accessToken)).expect(200);
    expect(await jwks(a)).toEqual(await jwks(b));
    // One signer and one next key, although both instances made keys for an empty table at once.
    const keys = await db.query(`SELECT activates_at <= now() AS signing FROM signing_keys WHERE revoked_at IS NULL`);
    expect(keys.map((key: { signing: boolean }) => key.signing).sort()).toEqual([false, true]);
  });

  it('rotation: the next key signs, old tokens still verify on every instance, and the JWKS holds both', async () => {
    const before = await registerActiveUser(a);
    const oldKid = decodeProtectedHeader(before.accessToken).kid;
    const [, next] = await jwks(a);

    await ageSigningKeys(db, 601);
    const rotated = await a.app.get(KeysService).rotate();
    expect(rotated.kid).toBe(next.kid);
    expect(rotated.activatesAt.getTime()).toBeLessThanOrEqual(Date.now());

    const after = await a.http.post('/api/users/login').send({ email: before.email, password: before.password }).expect(200);
    expect(decodeProtectedHeader(after.body.access_token).kid).toBe(next.kid);
    const published = (await jwks(b)).map((key) => key.kid);
    expect(published[0]).toBe(next.kid);
    expect(published).toContain(oldKid);
    expect(published.length).toBe(3); // the new signer, the old one until its tokens expire, a new next key
    for (const app of [a, b]) {
      await app.http.get('/api/users/me').set(bearer(before.accessToken)).expect(200);
      await app.http.get('/api/users/me').set(bearer(after.body.access_token)).expect(200);
    }
    const [old] = await db.query(`SELECT retires_at, expires_at FROM signing_keys WHERE kid = $1`, [oldKid]);
    expect(old.expires_at.getTime() - old.retires_at.getTime()).toBeGreaterThanOrEqual(a.config.auth.accessTtl * 1000);

    // Again at once: the new next key was published a moment ago, so it is scheduled for one JWKS
    // max-age later instead (no consumer may meet a kid its cached JWKS lacks), and nothing changes now.
    const newNext = published[1]; // the signer first, then the next key, then the retired ones
    const early = await a.app.get(KeysService).rotate();
    expect(early.kid).toBe(newNext);
    expect(early.activatesAt.getTime()).toBeGreaterThan(Date.now() + 590_000);
    const still = await a.http.post('/api/users/login').send({ email: before.email, password: before.password }).expect(200);
    expect(decodeProtectedHeader(still.body.access_token).kid).toBe(next.kid);
  });

  it('npm run keys:rotate -- --revoke-current: the leaked key leaves the JWKS at once and its tokens are refused', async () => {
    const user = await registerActiveUser(a);
    const leaked = decodeProtectedHeader(user.accessToken).kid;
    // Used twice first, so the instance holds it as verified (VerifiedTokens): revocation must still end it.
    for (let i = 0; i < 2; i++) await a.http.get('/api/users/me').set(bearer(user.accessToken)).expect(200);
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl'), TS_NODE_TRANSPILE_ONLY: 'true', LOG_LEVEL: 'error' };
    const cli = spawnSync('node_modules/.bin/ts-node', ['src/cli/keys-rotate.ts', '--revoke-current'], { env, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`revoked ${leaked}`);

    for (const app of [a, b]) expect((await jwks(app)).map((key) => key.kid)).not.toContain(leaked);
    // Refused at once by the instance that reads its keys again (the JWKS read above); others within 30 s.
    await a.http.get('/api/users/me').set(bearer(user.accessToken)).expect(401);
    const fresh = await a.http.post('/api/users/login').send({ email: user.email, password: user.password }).expect(200);
    const kid = decodeProtectedHeader(fresh.body.access_token).kid;
    expect(kid).not.toBe(leaked);
    await b.http.get('/api/users/me').set(bearer(fresh.body.access_token)).expect(200);
    expect((await jwks(b)).map((key) => key.kid)[0]).toBe(kid);
  });

  it('a key kept under .data/keys by an earlier version moves into the database and its tokens stay valid', async () => {
    const user = await registerActiveUser(a);
    const legacyPem = newPem();
    const legacyKid = await kidOf(legacyPem);
    // A token as the earlier version signed it: typ JWT, no jti.
    const { sid } = decodeJwt(user.accessToken);
    const legacyToken = await new SignJWT({ role: 'customer', sid, typ: 'access' })
      .setProtectedHeader({ alg: 'ES256', kid: legacyKid, typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(a.config.auth.issuer)
      .setAudience(a.config.auth.audience)
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(createPrivateKey(legacyPem));
    await a.http.get('/api/users/me').set(bearer(legacyToken)).expect(401);

    const dataDir = await mkdtemp(path.join(tmpdir(), 'alat-berat-legacy-'));
    await mkdir(path.join(dataDir, 'keys'));
    await writeFile(path.join(dataDir, 'keys', 'access-token-es256.pem'), legacyPem, { mode: 0o600 });
    const upgraded = await startTestApp({ DATA_DIR: dataDir });
    try {
      expect((await jwks(upgraded)).map((key) => key.kid)).toContain(legacyKid);
      await upgraded.http.get('/api/users/me').set(bearer(legacyToken)).expect(200);
      // Every instance, not only the upgraded one: the key is in the database now.
      expect((await jwks(a)).map((key) => key.kid)).toContain(legacyKid);
      const [row] = await db.query(`SELECT retires_at, expires_at FROM signing_keys WHERE kid = $1`, [legacyKid]);
      expect(row.expires_at.getTime()).toBeGreaterThan(Date.now());
    } finally {
      await upgraded.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('JWT_PRIVATE_KEY with several keys', () => {
  let t: TestApp;
  const pems = [newPem(), newPem()];
  beforeAll(async () => {
    // `\n` escapes, as an env file holds them.
    t = await startTestApp({ JWT_PRIVATE_KEY: pems.join('\n').replace(/\n/g, '\\n') });
  });
  afterAll(async () => {
    await t.close();
  });

  it('the first signs, all are published, a token of the second still verifies', async () => {
    const [first, second] = await Promise.all(pems.map(kidOf));
    expect((await jwks(t)).map((key) => key.kid)).toEqual([first, second]);
    const user = await registerActiveUser(t);
    expect(decodeProtectedHeader(user.accessToken).kid).toBe(first);
    const claims = decodeJwt(user.accessToken);
    const bySecond = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: second, typ: 'at+jwt' })
      .sign(createPrivateKey(pems[1]));
    await t.http.get('/api/users/me').set(bearer(bySecond)).expect(200);
    const byStranger = await new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'ES256', kid: second, typ: 'at+jwt' })
      .sign(createPrivateKey(newPem()));
    await t.http.get('/api/users/me').set(bearer(byStranger)).expect(401);
    await expect(t.app.get(KeysService).rotate()).rejects.toThrow(/JWT_PRIVATE_KEY is set/);
  });
});
