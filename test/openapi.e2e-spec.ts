import { readFileSync } from 'node:fs';
import path from 'node:path';
import { normaliseDocument } from '../src/docs';
import { startTestApp, type TestApp } from './support/app';

const COMMITTED = path.resolve(__dirname, '..', 'openapi.json');

interface Operation {
  operationId: string;
  summary?: string;
  deprecated?: boolean;
  'x-rate-limited'?: boolean;
  responses: Record<string, { headers?: Record<string, unknown> }>;
}

function operations(document: { paths: Record<string, Record<string, Operation>> }) {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
      .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${route}`, operation })),
  );
}

/** Where a served and a committed document first differ, as a JSON path. */
function firstDifference(a: unknown, b: unknown, at = '$'): string | undefined {
  if (JSON.stringify(a) === JSON.stringify(b)) return undefined;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of keys) {
      const found = firstDifference((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${at}.${key}`);
      if (found) return found;
    }
  }
  return at;
}

describe('the OpenAPI document', () => {
  let t: TestApp;
  let served: { paths: Record<string, Record<string, Operation>> };
  beforeAll(async () => {
    t = await startTestApp();
    served = (await t.http.get('/docs-json').expect(200)).body;
  });
  afterAll(async () => {
    await t.close();
  });

  it('served at /docs-json is the committed openapi.json', () => {
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'));
    const difference = firstDifference(normaliseDocument(served), normaliseDocument(committed));
    expect(
      difference,
      `openapi.json is out of date (first difference at ${difference}): run npm run openapi and commit it`,
    ).toBeUndefined();
  });

  it('names every operation for a client generator, uniquely', () => {
    const ids = operations(served).map(({ operation }) => operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    const byRoute = Object.fromEntries(operations(served).map(({ route, operation }) => [route, operation.operationId]));
    expect(byRoute).toMatchObject({
      'POST /api/users': 'register',
      'POST /api/users/activation/resend': 'resendActivation',
      'POST /api/users/login': 'login',
      'POST /api/users/refresh': 'refreshToken',
      'POST /api/users/logout': 'logout',
      'GET /api/users/me': 'getMe',
      'GET /api/users': 'listUsers',
      'GET /api/users/{id}': 'getUser',
      'PUT /api/users/{id}': 'updateUser',
      'DELETE /api/users/{id}': 'deleteUser',
      'GET /api/users/email/confirm/{token}': 'confirmEmailChange',
      'POST /api/users/password/forgot': 'forgotPassword',
      'GET /api/users/password/reset': 'resetPasswordForm',
      'POST /api/users/password/reset': 'resetPassword',
      'GET /api/users/me/sessions': 'listMySessions',
      'DELETE /api/users/me/sessions/{id}': 'endMySession',
      'GET /api/health': 'health',
      'GET /.well-known/jwks.json': 'jwks',
      'GET /api/users/activate/{token}': 'activate',
    });
  });

  it('shows the original documents’ paths as aliases of their routes, not deprecated', () => {
    const byRoute = Object.fromEntries(operations(served).map(({ route, operation }) => [route, operation]));
    expect(byRoute['POST /api/users/register']).toMatchObject({
      deprecated: false,
      summary: expect.stringMatching(/^Alias of POST \/api\/users:/),
    });
    expect(byRoute['GET /api/users/profile']).toMatchObject({
      deprecated: false,
      summary: expect.stringMatching(/^Alias of GET \/api\/users\/me:/),
    });
    expect(byRoute['PUT /api/users']).toMatchObject({
      deprecated: false,
      summary: expect.stringMatching(/^Alias of PUT \/api\/users\/\{id\}:/),
    });
  });

  it('documents the failures every route can give, and the rate-limit headers where routes are limited', () => {
    for (const { route, operation } of operations(served)) {
      expect(Object.keys(operation.responses), route).toEqual(expect.arrayContaining(['431', '500']));
      const limited = operation['x-rate-limited'] === true;
      if ('429' in operation.responses) expect(operation.responses['429'].headers, route).toHaveProperty('Retry-After');
      for (const [status, response] of Object.entries(operation.responses)) {
        if (limited && /^[24]/.test(status)) expect(response.headers, `${route} ${status}`).toHaveProperty('X-RateLimit-Limit');
      }
    }
    const byRoute = Object.fromEntries(operations(served).map(({ route, operation }) => [route, operation]));
    const limited = operations(served)
      .filter(({ operation }) => operation['x-rate-limited'])
      .map(({ route }) => route)
      .sort();
    expect(limited).toEqual(
      [
        'POST /api/users',
        'POST /api/users/register',
        'POST /api/users/activation/resend',
        'POST /api/users/login',
        'POST /api/users/refresh',
        'POST /api/users/password/forgot',
        'POST /api/users/password/reset',
      ].sort(),
    );
    // A taken address answers like a free one: PUT never says "Email sudah terdaftar".
    expect(JSON.stringify(byRoute['PUT /api/users/{id}'].responses['409'])).not.toContain('Email sudah terdaftar');
    expect(byRoute['PUT /api/users'].responses).not.toHaveProperty('404');
    expect(Object.keys(byRoute['POST /api/users/login'].responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '413', '415', '429', '503']),
    );
  });
});
