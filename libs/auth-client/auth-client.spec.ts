import { randomUUID } from 'node:crypto';
import { base64url, exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey } from 'jose';
import { startGuardedApp, waitFor, type GuardedApp } from '../../test/support/guarded-app';
import { createTestIssuer, type TestIssuer } from './testing';

const now = () => Math.floor(Date.now() / 1000);

/** A compact JWT with whatever header and payload, and the given signature part. */
function rawJwt(header: object, payload: object, signature = ''): string {
  const part = (value: object) => base64url.encode(JSON.stringify(value));
  return `${part(header)}.${part(payload)}.${signature}`;
}

describe('AuthClientGuard on real HTTP against a test issuer', () => {
  let issuer: TestIssuer;
  let service: GuardedApp;
  const user = randomUUID();

  beforeAll(async () => {
    issuer = await createTestIssuer();
    await issuer.listen();
    service = await startGuardedApp({ issuer: issuer.issuer, introspection: issuer.introspectionClient });
  });
  afterAll(async () => {
    await service?.close();
    await issuer?.close();
  });

  it('accepts a valid token and puts the caller on request.user', async () => {
    const sid = randomUUID();
    const token = await issuer.sign({ sub: user, role: 'customer', sid });
    const res = await service.get('/me', token);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: user,
      role: 'customer',
      sessionId: sid,
      claims: { sub: user, role: 'customer', sid, typ: 'access', iss: issuer.issuer, aud: 'alat-berat' },
    });
  });

  it('reads discovery once and the JWKS once for many tokens', async () => {
    const before = { ...issuer.requests };
    for (let i = 0; i < 5; i++) expect((await service.get('/me', await issuer.sign({ sub: user }))).status).toBe(200);
    expect(issuer.requests.discovery).toBe(before.discovery);
    expect(issuer.requests.jwks).toBe(before.jwks);
    expect(issuer.requests.discovery).toBe(1);
    expect(issuer.requests.jwks).toBe(1);
  });

  it('accepts a token expired by less than the clock tolerance (5 s)', async () => {
    const token = await issuer.sign({ sub: user, iat: now() - 600, exp: now() - 2 });
    expect((await service.get('/me', token)).status).toBe(200);
  });

  // Each row: why the token must not pass → how to make it.
  const refused: Array<[string, () => Promise<string>]> = [
    [
      'signed with ES384 under our kid',
      async () => {
        const { privateKey } = await generateKeyPair('ES384');
        return new SignJWT(claims()).setProtectedHeader({ alg: 'ES384', typ: 'at+jwt', kid: issuer.currentKid }).sign(privateKey);
      },
    ],
    [
      'HS256 with the published public key as the HMAC secret',
      async () => {
        const pem = await exportSPKI((await importJWK(issuer.jwks().keys[0], 'ES256', { extractable: true })) as CryptoKey);
        const secret = new TextEncoder().encode(pem);
        return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: issuer.currentKid }).sign(secret);
      },
    ],
    ['alg "none" without a signature', async () => rawJwt({ alg: 'none', typ: 'at+jwt', kid: issuer.currentKid }, claims())],
    [
      'a tampered signature',
      async () => {
        const [header, payload, signature] = (await issuer.sign({ sub: user })).split('.');
        const flipped = signature[0] === 'A' ? `B${signature.slice(1)}` : `A${signature.slice(1)}`;
        return `${header}.${payload}.${flipped}`;
      },
    ],
    [
      'a tampered payload (customer made admin)',
      async () => {
        const [header, , signature] = (await issuer.sign({ sub: user })).split('.');
        return `${header}.${base64url.encode(JSON.stringify(claims({ role: 'admin' })))}.${signature}`;
      },
    ],
    [
      'a key the issuer never published',
      async () => {
        const stranger = await createTestIssuer({ issuer: issuer.issuer });
        return stranger.sign({ sub: user }, { kid: issuer.currentKid });
      },
    ],
    ['another issuer', async () => issuer.sign({ sub: user, iss: 'http://127.0.0.1:1/someone-else' })],
    ['another audience', async () => issuer.sign({ sub: user, aud: 'another-system' })],
    ['header typ "JWT" (not at+jwt)', async () => issuer.sign({ sub: user }, { typ: 'JWT' })],
    ['no typ "access" claim', async () => issuer.sign({ sub: user, typ: undefined })],
    ['typ "refresh" claim', async () => issuer.sign({ sub: user, typ: 'refresh' })],
    ['no sid claim', async () => issuer.sign({ sub: user, sid: undefined })],
    ['no exp claim', async () => issuer.sign({ sub: user, exp: undefined })],
    ['expired beyond the tolerance', async () => issuer.sign({ sub: user, iat: now() - 960, exp: now() - 60 })],
    ['not yet valid (nbf)', async () => issuer.sign({ sub: user, nbf: now() + 120 })],
    ['not a JWT at all', async () => 'not-a-token'],
  ];

  function claims(extra: Record<string, unknown> = {}) {
    const iat = now();
    const base = { sub: user, role: 'customer', sid: randomUUID(), typ: 'access', iss: issuer.issuer, aud: 'alat-berat' };
    return { ...base, iat, exp: iat + 900, ...extra };
  }

  it.each(refused)('refuses %s: 401 with a Bearer challenge', async (_, make) => {
    const res = await service.get('/me', await make());
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('refuses a request without a token, or with another scheme or a token in the URL: 401', async () => {
    const token = await issuer.sign({ sub: user });
    for (const res of [
      await service.get('/me'),
      await service.get('/me', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }),
      await service.get(`/me?access_token=${token}`),
    ]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
    }
  });

  it('@Roles: a customer gets 403, an admin 200', async () => {
    expect((await service.get('/admin', await issuer.sign({ sub: user, role: 'customer' }))).status).toBe(403);
    const admin = await service.get('/admin', await issuer.sign({ sub: user, role: 'admin' }));
    expect(admin.status).toBe(200);
    expect(admin.body).toEqual({ id: user });
  });

  it('@Public: 200 without a token, and a bad token is not looked at', async () => {
    expect(await service.get('/open')).toMatchObject({ status: 200, body: { user: null } });
    expect((await service.get('/open', 'garbage')).status).toBe(200);
  });

  it('@RequireLiveSession: refuses the token once its session is revoked at the introspection endpoint', async () => {
    const sid = randomUUID();
    const token = await issuer.sign({ sub: user, sid });
    const other = await issuer.sign({ sub: user, sid: randomUUID() });
    const before = issuer.requests.introspection;
    expect((await service.get('/live', token)).status).toBe(200);
    expect((await service.get('/live', token)).status).toBe(200);
    expect(issuer.requests.introspection - before).toBe(1); // the second answer came from the 2 s cache

    issuer.revokeSession(sid);
    expect((await service.get('/me', token)).status).toBe(200); // routes without the decorator wait for exp
    const took = await waitFor(async () => (await service.get('/live', token)).status === 401, 3_000);
    expect(took).toBeLessThan(2_500);
    expect((await service.get('/live', other)).status).toBe(200);
  });

  it('answers 503, not 401, while the issuer is unreachable, and recovers without a restart', async () => {
    const down = await createTestIssuer();
    await down.listen();
    const consumer = await startGuardedApp({ issuer: down.issuer });
    try {
      const token = await down.sign({ sub: user });
      down.unavailable = true;
      expect((await consumer.get('/me', token)).status).toBe(503);
      expect((await consumer.get('/me', token)).status).toBe(503);
      expect(down.requests.discovery).toBe(2); // a failed discovery is tried again, not kept
      down.unavailable = false;
      expect((await consumer.get('/me', token)).status).toBe(200);
    } finally {
      await consumer.close();
      await down.close();
    }
  });
});

describe('the JWKS cache', () => {
  let issuer: TestIssuer;
  const user = randomUUID();

  beforeAll(async () => {
    issuer = await createTestIssuer({ issuer: '/auth' });
    await issuer.listen();
  });
  afterAll(async () => {
    await issuer?.close();
  });

  async function withService(test: (service: GuardedApp) => Promise<void>, viaFactory = false) {
    const service = await startGuardedApp({ issuer: issuer.issuer }, viaFactory);
    try {
      await test(service);
    } finally {
      await service.close();
    }
  }

  it('after rotate(), accepts the new key with exactly one extra JWKS fetch, and still the old key', async () => {
    await withService(async (service) => {
      const old = await issuer.sign({ sub: user });
      expect((await service.get('/me', old)).status).toBe(200);
      const fetched = issuer.requests.jwks;

      const newKid = await issuer.rotate();
      const fresh = await issuer.sign({ sub: user });
      expect(fresh.split('.')[0]).toBe(base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: newKid })));
      expect((await service.get('/me', fresh)).status).toBe(200);
      expect((await service.get('/me', fresh)).status).toBe(200);
      expect((await service.get('/me', old)).status).toBe(200);
      expect(issuer.requests.jwks - fetched).toBe(1);
    }, true);
  });

  it('20 tokens with bogus kids, concurrently and then again, cost at most one JWKS fetch (cold cache)', async () => {
    await withService(async (service) => {
      const before = issuer.requests.jwks;
      const bogus = () => Promise.all(Array.from({ length: 20 }, () => issuer.sign({ sub: user }, { kid: `bogus-${randomUUID()}` })));
      for (const tokens of [await bogus(), await bogus()]) {
        const statuses = await Promise.all(tokens.map(async (token) => (await service.get('/me', token)).status));
        expect(statuses).toEqual(Array(20).fill(401));
      }
      expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1);
      expect((await service.get('/me', await issuer.sign({ sub: user }))).status).toBe(200);
      expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1);
    });
  });

  it('20 tokens with bogus kids after a valid one cost at most one refetch (warm cache)', async () => {
    await withService(async (service) => {
      expect((await service.get('/me', await issuer.sign({ sub: user }))).status).toBe(200);
      const before = issuer.requests.jwks;
      for (let round = 0; round < 2; round++) {
        const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.sign({ sub: user }, { kid: `bogus-${randomUUID()}` })));
        const statuses = await Promise.all(tokens.map(async (token) => (await service.get('/me', token)).status));
        expect(statuses).toEqual(Array(20).fill(401));
      }
      expect(issuer.requests.jwks - before).toBeLessThanOrEqual(1);
    });
  });
});
