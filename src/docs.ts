import type { INestApplication } from '@nestjs/common';
import { GUARDS_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { ERROR_ENVELOPE_SCHEMA, translate, type MessageKey } from './http';
import { AuthRateLimitGuard } from './rate-limit/rate-limit.guard';

/**
 * Operation ids a client generator turns into good names (`client.login()`, not
 * `authControllerLogin()`), kept here so no controller has to carry one. Keyed by
 * `Controller.method`; a path alias (one handler, several paths) is `method[index]`. A handler
 * missing here gets its method name.
 */
const OPERATION_IDS: Record<string, string> = {
  'AuthController.register': 'register',
  'AuthController.register[1]': 'registerRouteList',
  'AuthController.activate': 'activate',
  'AuthController.activateConfirm': 'activateConfirm',
  'AuthController.resendActivation': 'resendActivation',
  'AuthController.login': 'login',
  'AuthController.refresh': 'refreshToken',
  'AuthController.logout': 'logout',
  'AuthController.forgotPassword': 'forgotPassword',
  'AuthController.resetForm': 'resetPasswordForm',
  'AuthController.resetPassword': 'resetPassword',
  'AccountController.me': 'getMe',
  'AccountController.me[1]': 'getProfile',
  'AccountController.list': 'listUsers',
  'AccountController.getOne': 'getUser',
  'AccountController.update': 'updateUser',
  'AccountController.update[1]': 'updateMe',
  'AccountController.remove': 'deleteUser',
  'AccountController.confirmEmail': 'confirmEmailChange',
  'AccountController.listMySessions': 'listMySessions',
  'AccountController.endMySession': 'endMySession',
  'AccountController.events': 'listUserEvents',
  'HealthController.check': 'health',
  'JwksController.jwks': 'jwks',
  'DiscoveryController.openidConfiguration': 'openidConfiguration',
  'IntrospectionController.introspect': 'introspectToken',
};

export function operationId(controllerKey: string, methodKey: string): string {
  const key = `${controllerKey}.${methodKey.replace(/\[0\]$/, '')}`;
  return OPERATION_IDS[key] ?? methodKey.replace(/\[(\d+)\]$/, 'Alias$1');
}

/** The original documents' paths (API.md, issue 13): the same handler as the route they stand for. */
const ALIASES: Record<string, { of: string; note: string; cannot?: string[] }> = {
  registerRouteList: {
    of: 'POST /api/users',
    note: 'the route list’s path for registration; here, and only here, `confirmation` may be left out (the password is its own confirmation)',
  },
  getProfile: { of: 'GET /api/users/me', note: 'the route list’s "getProfile"' },
  updateMe: {
    of: 'PUT /api/users/{id}',
    note: 'the route list’s self-update: route 10 on the caller’s own account, with the same rules',
    // The caller's own account exists while their token is accepted (deletion ends its sessions).
    cannot: ['404'],
  },
};

/** Operations that never touch the database (no 503 for them). */
const NO_DATABASE = new Set(['jwks', 'openidConfiguration', 'resetPasswordForm']);

/** Documents kept per app, so `npm run openapi` writes exactly what /docs-json serves. */
const documents = new WeakMap<INestApplication, () => OpenAPIObject>();

/** Swagger UI at /docs, the OpenAPI 3 document at /docs-json. */
export function setupDocs(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Alat Berat user service')
    .setDescription(
      'Register, activate by email, log in, refresh and end sessions, manage accounts. Every JSON answer is ' +
        '`{ error, message, data }`; messages are Indonesian unless `Accept-Language: en`. Every route is also ' +
        'served under `/api/v1`. Access tokens are ES256 JWTs (`typ: at+jwt`); other services configure ' +
        'their verifier from `/.well-known/openid-configuration` (keys at `/.well-known/jwks.json`).',
    )
    .setVersion('1.0')
    .addServer('/', 'this service, wherever it runs (local, staging or production): the host serving this document', {})
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'The `access_token` of login or refresh: an ES256 JWT (`typ: at+jwt`, 15 minutes by default) following RFC8725 ' +
        '(JSON Web Token Best Current Practices): the algorithm is pinned, `iss`, `aud`, `exp` and `typ` are checked. ' +
        'Refresh tokens are opaque and rotate on every use.',
    })
    .build();
  // Built on the first /docs, /docs-json or documentOf() call, not at every start, and kept.
  let document: OpenAPIObject | undefined;
  const build = () =>
    (document ??= postProcess(SwaggerModule.createDocument(app, config, { operationIdFactory: operationId }), rateLimited(app)));
  documents.set(app, build);
  SwaggerModule.setup('docs', app, build, {
    jsonDocumentUrl: 'docs-json',
    swaggerOptions: { persistAuthorization: true },
  });
}

export function documentOf(app: INestApplication): OpenAPIObject {
  const build = documents.get(app);
  if (!build) throw new Error('setupDocs(app) has not run');
  return build();
}

type Json = Record<string, unknown>;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * What holds for every operation and is no controller's business: the failures any route can
 * give (500, 503, 431; 413 and 415 where a body is read), the rate-limit headers of the routes
 * behind AuthRateLimitGuard, CORS, and the aliases' marking.
 */
function postProcess(document: OpenAPIObject, limitedIds: Set<string>): OpenAPIObject {
  (document.servers ?? []).forEach((server) => Object.assign(server, { 'x-internal': false }));
  document.components ??= {};
  document.components.headers = { ...(document.components.headers ?? {}), ...HEADERS };
  const schemas = (document.components.schemas ??= {}) as Record<string, Json>;
  schemas.ErrorEnvelope = ERROR_ENVELOPE_SCHEMA;
  const tags = new Set<string>();

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = (item as Record<string, Json | undefined>)[method];
      if (!operation) continue;
      const id = operation.operationId as string;
      ((operation.tags as string[] | undefined) ?? []).forEach((tag) => tags.add(tag));
      const responses = operation.responses as Record<string, Json>;
      dropUnusedPathParameters(operation, path);

      const alias = ALIASES[id];
      if (alias) {
        operation.summary = `Alias of ${alias.of}: ${alias.note}`;
        operation.deprecated = false;
        for (const status of alias.cannot ?? []) delete responses[status];
      }
      if (id === 'registerRouteList') useRouteListRegisterBody(operation, schemas);

      // Per client address (RATE_LIMIT_PER_MINUTE): these answers carry the X-RateLimit-* headers.
      const limited = limitedIds.has(id);
      if (limited) operation['x-rate-limited'] = true;
      const hasBody = operation.requestBody !== undefined;
      responses['431'] ??= failure('headers_too_large', 'Request headers over 16 kB: refused before any route runs');
      if (hasBody) {
        responses['413'] ??= failure('payload_too_large', 'Body over 100 kB');
        responses['415'] ??= failure('unsupported_media_type', 'A body that is not JSON (or not UTF-8)');
      }
      responses['500'] ??= failure('internal', 'Unexpected: a generic message; the log has the details under the X-Request-Id');
      if (!NO_DATABASE.has(id) || limited) {
        responses['503'] ??= failure(
          'service_unavailable',
          limited ? 'The database, or the rate-limit store (Redis), is unreachable' : 'The database is unreachable; never a 401',
        );
      }

      for (const [status, response] of Object.entries(responses)) {
        const headers = (response.headers ??= {}) as Json;
        headers['X-Request-Id'] ??= { $ref: '#/components/headers/X-Request-Id' };
        headers['Access-Control-Allow-Origin'] ??= { $ref: '#/components/headers/Access-Control-Allow-Origin' };
        if (limited && /^[24]/.test(status)) {
          for (const name of ['X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']) {
            headers[name] ??= { $ref: `#/components/headers/${name}` };
          }
        }
        if (status === '429') headers['Retry-After'] ??= { $ref: '#/components/headers/Retry-After' };
      }
    }
  }
  const described = new Set((document.tags ?? []).map((tag) => tag.name));
  document.tags = [
    ...(document.tags ?? []),
    ...[...tags].filter((tag) => !described.has(tag)).map((name) => ({ name, description: TAGS[name] ?? name })),
  ];
  boundStrings(document);
  return document;
}

const TAGS: Record<string, string> = {
  auth: 'Register, activate, log in, refresh, log out, reset a password; the keys that verify tokens',
  users: 'The account: me, my sessions, the admin’s user list, update and delete',
  health: 'For load balancers',
};

/**
 * Strings whose length their format fixes (uuid, date-time), and the one-time link tokens of the
 * emailed URLs (43 characters; anything else is a 400), get that bound wherever they appear.
 */
function boundStrings(node: unknown, parent?: Json): void {
  if (Array.isArray(node)) return node.forEach((item) => boundStrings(item, parent));
  if (node === null || typeof node !== 'object') return;
  const schema = node as Json;
  if (schema.type === 'string' && schema.maxLength === undefined && schema.enum === undefined) {
    if (schema.format === 'uuid') schema.maxLength = 36;
    else if (schema.format === 'date-time') schema.maxLength = 32;
    else if (parent?.name === 'token' && (parent.in === 'path' || parent.in === 'query')) schema.maxLength = 200;
  }
  for (const value of Object.values(schema)) boundStrings(value, schema);
}

function dropUnusedPathParameters(operation: Json, path: string): void {
  const parameters = operation.parameters as { in: string; name: string }[] | undefined;
  if (!parameters) return;
  operation.parameters = parameters.filter((parameter) => parameter.in !== 'path' || path.includes(`{${parameter.name}}`));
}

/** The operation ids of the handlers behind AuthRateLimitGuard, alias paths included. */
function rateLimited(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!controller) continue;
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const handler = (controller.prototype as Record<string, unknown>)[name];
        if (typeof handler !== 'function') continue;
        const guards = (Reflect.getMetadata(GUARDS_METADATA, handler) ?? []) as unknown[];
        if (!guards.includes(AuthRateLimitGuard)) continue;
        const paths = [Reflect.getMetadata(PATH_METADATA, handler) ?? ''].flat();
        paths.forEach((_path, index) => ids.add(operationId(controller.name, paths.length > 1 ? `${name}[${index}]` : name)));
      }
    }
  }
  return ids;
}

/** The route list's body: RegisterDto with `confirmation` optional. */
function useRouteListRegisterBody(operation: Json, schemas: Record<string, Json>): void {
  const register = schemas.RegisterDto;
  if (!register) return;
  schemas.RegisterRouteListDto = {
    ...register,
    required: ((register.required as string[] | undefined) ?? []).filter((field) => field !== 'confirmation'),
    description: 'The route list’s registration body: as RegisterDto, with `confirmation` optional.',
  };
  operation.requestBody = {
    required: true,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/RegisterRouteListDto' } } },
  };
}

const text = (maxLength: number, example?: string) => ({ type: 'string', maxLength, ...(example ? { example } : {}) });

const HEADERS: Record<string, Json> = {
  'X-Request-Id': {
    description: 'The request id, also in the log line of this request (send your own to correlate, up to 128 characters)',
    schema: { ...text(128), pattern: '^[\\x21-\\x7e]+$', example: 'b3c1e0a2-6f1d-4c8e-9a57-2d9c3f4b1e77' },
  },
  'Access-Control-Allow-Origin': {
    description: 'Present when the request’s `Origin` is one of CORS_ORIGINS (no cookies are used: no credentials mode)',
    schema: { ...text(2048), format: 'uri', example: 'https://app.alatberat.example' },
  },
  'X-RateLimit-Limit': {
    description: 'Requests allowed per client address in the window (RATE_LIMIT_PER_MINUTE); absent when rate limiting is off',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 1000000, example: 20 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 1000000, example: 19 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the window resets',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86400, example: 60 },
  },
  'Retry-After': {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: 86400, example: 42 },
  },
};

/** An envelope failure whose message is the generic "Proses gagal". */
function failure(reason: MessageKey, description: string): Json {
  return {
    description: `${description}. "${translate(reason, 'id')}" (en: "${translate(reason, 'en')}")`,
    content: {
      'application/json': {
        schema: { $ref: '#/components/schemas/ErrorEnvelope' },
        example: { error: [translate(reason, 'id')], message: translate('process_failed', 'id'), data: null },
      },
    },
  };
}

/** The document with every object's keys sorted (arrays keep their order): the committed form. */
export function normaliseDocument<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => normaliseDocument(item)) as T;
  if (value === null || typeof value !== 'object') return value;
  const sorted = Object.keys(value as Json)
    .sort()
    .map((key) => [key, normaliseDocument((value as Json)[key])]);
  return Object.fromEntries(sorted) as T;
}
