import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { decodeJwt, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { inject } from 'vitest';
import { KeysService } from '../src/keys/keys.service';
import { ServiceClientsService } from '../src/tokens/service-clients.service';
import { registerActiveUser, selfIssuedEnv, startTestApp, type TestApp } from './support/app';

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const clientName = (tag: string) => `${tag}-${randomBytes(4).toString('hex')}`;

describe('token introspection (route 20, RFC 7662)', () => {
  let t: TestApp;
  let client: { id: string; secret: string };

  /** POST token=… form-encoded with the client's HTTP Basic credential. */
  const introspect = (token: string, auth = basic(client.id, client.secret)) =>
    t.http.post('/api/token/introspect').set('Authorization', auth).type('form').send({ token });

  beforeAll(async () => {
    t = await startTestApp(await selfIssuedEnv());
    const name = clientName('rentals');
    const { secret } = await t.app.get(ServiceClientsService).create(name);
    client = { id: name, secret };
  });
  afterAll(async () => {
    await t.close();
  });

  it('a live access token: active with its claims, in the RFC’s shape (no envelope), not cached', async () => {
    const user = await registerActiveUser(t);
    const res = await introspect(user.accessToken).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const claims = decodeJwt(user.accessToken);
    expect(res.body).toEqual({
      active: true,
      sub: user.id,
      role: 'customer',
      sid: claims.sid,
      exp: claims.exp,
      iat: claims.iat,
      iss: t.url,
      aud: 'alat-berat',
      token_type: 'access_token',
    });
  });

  it('inactive: a refresh token, junk, an empty-looking token, a foreign signature, an expired token, an ended session', async () => {
    const user = await registerActiveUser(t);
    const claims = decodeJwt(user.accessToken);
    const { privateKey } = await generateKeyPair('ES256');
    const foreign = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'x', typ: 'at+jwt' }).sign(privateKey);
    const expired = await t.app.get(KeysService).sign({ sub: user.id, role: 'customer', sid: claims.sid as string, typ: 'access' }, -120);
    for (const token of [user.refreshToken, 'junk', 'a.b.c', 'x'.repeat(10_000), foreign, expired]) {
      const res = await introspect(token).expect(200);
      expect(res.body).toEqual({ active: false });
    }
    await introspect(user.accessToken).expect(200, /"active":true/);
    await t.http.post('/api/users/logout').set('Authorization', `Bearer ${user.accessToken}`).send({}).expect(200);
    expect((await introspect(user.accessToken).expect(200)).body).toEqual({ active: false });
  });

  it('a missing, wrong, unknown or revoked client: 401 invalid_client with WWW-Authenticate: Basic', async () => {
    const user = await registerActiveUser(t);
    const expectInvalidClient = (res: { status: number; body: unknown; headers: Record<string, string> }) => {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_client' });
      expect(res.headers['www-authenticate']).toMatch(/^Basic /);
    };
    expectInvalidClient(await t.http.post('/api/token/introspect').type('form').send({ token: user.accessToken }));
    expectInvalidClient(await introspect(user.accessToken, basic(client.id, 'wrong')));
    expectInvalidClient(await introspect(user.accessToken, basic(client.id, `${client.secret}x`)));
    expectInvalidClient(await introspect(user.accessToken, basic('nobody', client.secret)));
    expectInvalidClient(await introspect(user.accessToken, `Bearer ${user.accessToken}`));
    expectInvalidClient(await introspect(user.accessToken, 'Basic !!!'));
    expectInvalidClient(await introspect(user.accessToken, basic('x'.repeat(500), 'y')));

    const name = clientName('revoked');
    const clients = t.app.get(ServiceClientsService);
    const { secret } = await clients.create(name);
    await introspect(user.accessToken, basic(name, secret)).expect(200);
    expect(await clients.revoke(name)).toBe(true);
    expectInvalidClient(await introspect(user.accessToken, basic(name, secret)));
    // Without a token: the RFC's invalid_request, still not the envelope.
    expect(
      (await t.http.post('/api/token/introspect').set('Authorization', basic(client.id, client.secret)).type('form').send({})).body,
    ).toEqual({
      error: 'invalid_request',
    });
  });

  it('openid-client, configured from discovery with client_secret_basic, introspects', async () => {
    const user = await registerActiveUser(t);
    const config = await oidc.discovery(new URL(t.url), client.id, undefined, oidc.ClientSecretBasic(client.secret), {
      execute: [oidc.allowInsecureRequests],
    });
    const live = await oidc.tokenIntrospection(config, user.accessToken);
    expect(live).toMatchObject({ active: true, sub: user.id, token_type: 'access_token' });
    expect(await oidc.tokenIntrospection(config, user.refreshToken)).toMatchObject({ active: false });
  });

  it('npm run client:create / client:list / client:revoke: the secret printed once works, and stops working', async () => {
    const env = { ...process.env, DATABASE_URL: inject('databaseUrl'), TS_NODE_TRANSPILE_ONLY: 'true' };
    const run = (...args: string[]) =>
      spawnSync('node_modules/.bin/ts-node', ['src/cli/service-client.ts', ...args], { env, encoding: 'utf8' });
    const name = clientName('orders');
    const created = run('create', name);
    expect(created.status, created.stderr).toBe(0);
    const secret = /client_secret:\s+(\S+)/.exec(created.stdout)?.[1];
    expect(secret).toMatch(/^[\w-]{43}$/);
    const user = await registerActiveUser(t);
    await introspect(user.accessToken, basic(name, secret!)).expect(200, /"active":true/);
    const listed = run('list');
    expect(listed.stdout).toContain(name);
    expect(listed.stdout).not.toContain(secret!);
    expect(run('create', name).status).not.toBe(0);
    expect(run('revoke', name).status).toBe(0);
    await introspect(user.accessToken, basic(name, secret!)).expect(401);
    expect(run('list').stdout).not.toContain(name);
  }, 180_000); // five runs of the CLI through ts-node
});
