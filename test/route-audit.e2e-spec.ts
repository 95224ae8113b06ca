import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { IS_PUBLIC, servedRoutes } from '../src/http';
import { startTestApp, type TestApp } from './support';

/**
 * The contract's public routes (API.md); every other route must demand an access token. Adding a
 * route without a guard, or a stray @Public(), makes this file fail.
 */
const PUBLIC_ROUTES = [
  'POST /api/users', // 1 register
  'POST /api/users/register', // 1 under the route list's name (issue 13)
  'GET /api/users/activate/:token', // 2 the activation link
  'POST /api/users/activate/:token', // 2b the activation page's button
  'POST /api/users/activation/resend', // 3
  'POST /api/users/login', // 4
  'POST /api/users/refresh', // 5 (a refresh token, not an access token)
  'POST /api/users/password/forgot', // 12
  'GET /api/users/password/reset', // the form the reset link opens
  'POST /api/users/password/reset', // 13
  'GET /api/users/email/confirm/:token', // the link of an email change (route 10)
  'GET /api/health', // 14
  'GET /.well-known/jwks.json', // 16
  'GET /.well-known/openid-configuration', // 19
  'POST /api/token/introspect', // 20 (a service client's HTTP Basic credential, checked by the route)
].sort();
/** 15: Swagger UI and its own assets, registered by SwaggerModule outside Nest's controllers. */
const DOCS = /^\/docs(\/.*|-json|-yaml)?$/;

interface RegisteredRoute {
  method: string;
  path: string;
}

/** Every route Fastify registered: what the server will actually answer. */
function registeredRoutes(t: TestApp): RegisteredRoute[] {
  const seen = new Set<string>();
  return servedRoutes(t.app).flatMap((route) => {
    // HEAD routes are Fastify's own copies of the GET ones; wildcards are catch-alls (static files), not endpoints.
    if (route.method === 'HEAD' || route.method === 'OPTIONS' || route.path.includes('*')) return [];
    const key = `${route.method} ${route.path}`;
    return seen.has(key) ? [] : (seen.add(key), [route]);
  });
}

/** A request with no credentials at all; placeholders filled so the path matches. */
async function probe(t: TestApp, route: RegisteredRoute): Promise<'guarded' | 'public' | 'absent'> {
  const path = route.path.replace(/:id\b/g, randomUUID()).replace(/:(\w+)/g, 'placeholder-$1');
  const method = route.method.toLowerCase() as 'get' | 'post' | 'put' | 'delete' | 'patch';
  const req = t.http[method](path);
  const res = ['POST', 'PUT', 'PATCH'].includes(route.method) ? await req.send({}) : await req;
  if (res.status === 401 && JSON.stringify(res.body?.error) === JSON.stringify(['Token tidak ditemukan'])) return 'guarded';
  if (res.status === 404 && JSON.stringify(res.body?.error) === JSON.stringify(['Route tidak ditemukan'])) return 'absent';
  return 'public';
}

describe('route audit: the public routes are exactly the contract’s allow-list', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('every registered route without an access token is refused with 401, except the allow-list and the docs', async () => {
    const routes = registeredRoutes(t);
    expect(routes.length).toBeGreaterThan(PUBLIC_ROUTES.length);
    const open: string[] = [];
    const guarded: string[] = [];
    for (const route of routes) {
      const outcome = await probe(t, route);
      if (outcome === 'public') open.push(`${route.method} ${route.path}`);
      if (outcome === 'guarded') guarded.push(`${route.method} ${route.path}`);
    }
    const docs = open.filter((route) => DOCS.test(route.split(' ')[1]));
    expect(docs).toContain('GET /docs');
    expect(docs).toContain('GET /docs-json');
    expect(open.filter((route) => !docs.includes(route)).sort()).toEqual(PUBLIC_ROUTES);
    expect(guarded).toEqual(
      expect.arrayContaining([
        'GET /api/users/me',
        'GET /api/users/profile',
        'GET /api/users/me/sessions',
        'DELETE /api/users/me/sessions/:id',
        'PUT /api/users',
        'POST /api/users/logout',
        'GET /api/users',
        'GET /api/users/:id',
        'PUT /api/users/:id',
        'DELETE /api/users/:id',
      ]),
    );
  });

  it('@Public() sits on exactly the allow-listed handlers, and every handler is served', async () => {
    const reflector = t.app.get(Reflector);
    const scanner = new MetadataScanner();
    const served = new Set(registeredRoutes(t).map((route) => `${route.method} ${route.path}`));
    const handlers: { route: string; isPublic: boolean }[] = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
        if (!controller) continue;
        const base = String(Reflect.getMetadata(PATH_METADATA, controller) ?? '');
        for (const name of scanner.getAllMethodNames(controller.prototype)) {
          const handler = (controller.prototype as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
          const paths = Reflect.getMetadata(PATH_METADATA, handler) as string | string[] | undefined;
          if (paths === undefined) continue;
          const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
          // An alias (issue 13) is one handler on several paths: each path is audited.
          for (const path of [paths].flat()) {
            const joined = `/${[base, path].filter((part) => part && part !== '/').join('/')}`;
            // The paths excluded from the global prefix (app.factory.ts).
            const full = joined.startsWith('/.well-known/') ? joined : `/api${joined === '/' ? '' : joined}`;
            handlers.push({
              route: `${method} ${full}`,
              isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC, [handler, controller]) === true,
            });
          }
        }
      }
    }
    expect(
      handlers
        .filter((h) => h.isPublic)
        .map((h) => h.route)
        .sort(),
    ).toEqual(PUBLIC_ROUTES);
    expect(handlers.map((h) => h.route).filter((route) => !served.has(route))).toEqual([]);
    expect(handlers.map((h) => h.route)).toEqual(
      expect.arrayContaining(['GET /api/users', 'GET /api/users/:id', 'PUT /api/users/:id', 'DELETE /api/users/:id']),
    );
  });
});
