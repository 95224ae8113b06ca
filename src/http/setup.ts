import { INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { IncomingMessage } from 'node:http';
import { parse as parseQueryString } from 'node:querystring';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { answerClientError, assertIdentityEncoding, parseJsonBody } from './body-limits';
import { failureEnvelope, renderResult } from './envelope';
import { EnvelopeExceptionFilter } from './exception.filter';
import { languageOf, type MessageKey } from './messages';
import { RouteContextGuard, requestIdOf, requestContext } from './request-context';
import { createValidationPipe } from './validation';

export interface HttpSetupOptions {
  /** Global prefix; every route is also answered under `<prefix>/v1`. */
  prefix: string;
  /** Paths outside the prefix (e.g. `.well-known/jwks.json`). */
  excludeFromPrefix?: string[];
  trustProxy: boolean | number | string;
  /** Largest request body in bytes (100 kB by default). */
  bodyLimit?: number;
}

/** Longest path parameter the router takes: one-time link tokens sit in the path. */
const MAX_PARAM_LENGTH = 1000;

/**
 * The Fastify adapter with what every service of the system wants of it: the client address as
 * TRUST_PROXY says, the request id chosen before anything logs, `/<prefix>/v1/...` answered as
 * `/<prefix>/...`, paths matched as Express matched them (case-insensitive, a trailing slash
 * ignored), and what Node's parser refuses answered in the envelope.
 */
export function createHttpAdapter(options: HttpSetupOptions): FastifyAdapter {
  const versioned = `/${options.prefix}/v1/`;
  return new FastifyAdapter({
    trustProxy: trustFunction(options.trustProxy),
    bodyLimit: options.bodyLimit ?? 100 * 1024,
    routerOptions: { caseSensitive: false, ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    genReqId: (raw: IncomingMessage) => requestIdOf(raw),
    requestIdHeader: false,
    rewriteUrl: (raw: IncomingMessage) => {
      const url = raw.url ?? '/';
      if (url.startsWith(versioned)) return `/${options.prefix}/${url.slice(versioned.length)}`;
      if (url === versioned.slice(0, -1)) return `/${options.prefix}`;
      return url;
    },
    clientErrorHandler: answerClientError,
    // What the router refuses before any hook runs: a bad %-escape, an over-long parameter.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const lang = languageOf(request.headers['accept-language']);
      const key: MessageKey = error.code === 'FST_ERR_BAD_URL' ? 'malformed_path' : 'bad_request';
      void reply
        .code(400)
        .header('X-Request-Id', requestIdOf(request.raw))
        .type('application/json; charset=utf-8')
        .send(failureEnvelope(key, lang));
    },
  });
}

/**
 * TRUST_PROXY as Express read it. A number is how many hops in front of the service are proxies
 * (Fastify would refuse to trust anyone given a number), so it becomes that test of the hop.
 */
function trustFunction(trust: boolean | number | string): boolean | string | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address, hop) => hop < trust : trust;
}

export interface ServedRoute {
  method: string;
  path: string;
}

const SERVED = new WeakMap<object, ServedRoute[]>();

/** Every route the app's server registered (method and path template), in the order it did. */
export function servedRoutes(app: INestApplication): ServedRoute[] {
  return SERVED.get(app.getHttpAdapter().getInstance() as object) ?? [];
}

/** What every service of the system does to its HTTP app: envelope, errors, validation, ids. */
export function configureHttp(app: INestApplication, options: HttpSetupOptions): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const served: ServedRoute[] = [];
  SERVED.set(fastify, served);
  fastify.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) served.push({ method, path: route.url });
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.raw.setHeader('X-Request-Id', requestContext(request).requestId);
    done();
  });
  // Bodies: JSON (depth and charset checked on the raw bytes before parsing, body-limits.ts), the
  // reset form's urlencoded body, and anything else read and left aside, so that the route's guard
  // decides: 415 on a JSON route, 404 on no route (as before any parsing work).
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    try {
      assertIdentityEncoding(request.headers['content-encoding']);
      done(null, parseJsonBody(body as Buffer, request.headers['content-type']));
    } catch (error) {
      done(error as Error);
    }
  });
  fastify.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (request, body, done) => {
    try {
      assertIdentityEncoding(request.headers['content-encoding']);
      done(null, { ...parseQueryString(body as string) });
    } catch (error) {
      done(error as Error);
    }
  });
  fastify.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));
  app.setGlobalPrefix(options.prefix, { exclude: options.excludeFromPrefix ?? [] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new EnvelopeExceptionFilter());
  fastify.addHook('preSerialization', (request, _reply, payload, done) => done(null, renderResult(request, payload)));
  app.useGlobalGuards(new RouteContextGuard(app.get(Reflector)));
}
