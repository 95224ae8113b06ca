import type { INestApplication } from '@nestjs/common';
import fastifyCors, { type FastifyCorsOptions } from '@fastify/cors';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';
import helmet from 'helmet';
import { PAGE_STYLE_HASH } from './html';

export interface BrowserOptions {
  /** Origins allowed to call the API from a browser; `*` for any. */
  corsOrigins: '*' | string[];
  /** Also allow any `http://localhost:<port>` origin (development default). */
  corsLocalhost: boolean;
  /** Origins the pages' forms may post to besides their own (the origin of APP_URL). */
  formActionOrigins: string[];
  /** Where Swagger UI lives: it gets a CSP that lets its own scripts and styles run. */
  docsPath: string;
}

const LOCALHOST = /^http:\/\/localhost(:\d{1,5})?$/;

/** Response headers a browser needs to use the API from another origin, and the pages' security headers. */
export function configureBrowsers(app: INestApplication, options: BrowserOptions): void {
  const common = {
    frameguard: { action: 'deny' as const },
    referrerPolicy: { policy: 'no-referrer' as const },
  };
  // The pages (link outcomes, forms): nothing may run, load or frame them.
  const pages = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'none'"],
        styleSrc: [PAGE_STYLE_HASH],
        formAction: ["'self'", ...options.formActionOrigins],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
    },
  });
  // Every other answer (JSON): the headers OWASP's REST security cheat sheet asks of an API. The
  // document-only ones (COOP, CORP, Origin-Agent-Cluster, X-DNS-Prefetch-Control, X-Download-Options,
  // X-Permitted-Cross-Domain-Policies, X-XSS-Protection) say nothing about JSON; without them a
  // refresh took 516 against 533 µs of the server's CPU (4 alternating rounds, issue 12).
  const api = helmet({
    ...common,
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
  // Swagger UI: its bundle and init script are served files; its styles are partly inline.
  const docs = helmet({
    ...common,
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        objectSrc: ["'none'"],
      },
    },
  });
  const docsPath = `/${options.docsPath.replace(/^\/+|\/+$/g, '')}`;
  const isDocs = (path: string) => path === docsPath || path.startsWith(`${docsPath}/`) || path.startsWith(`${docsPath}-`);
  // helmet's middleware sets headers on the Node.js response, which Fastify merges into the answer
  // it sends (errors and 404s included); hooks rather than middleware skip middie. Which set is
  // known once the answer is: a page is whatever goes out as HTML.
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRequest', (_request, reply, done) => {
    // The answer depends on Origin whenever origins are listed: shared caches must keep them apart.
    if (options.corsOrigins !== '*') reply.raw.setHeader('Vary', 'Origin');
    done();
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    const headers = isDocs(request.url.split('?', 1)[0])
      ? docs
      : /^text\/html/i.test(String(reply.getHeader('content-type') ?? ''))
        ? pages
        : api;
    headers(request.raw, reply.raw, (error?: unknown) => (error ? done(error as Error) : done(null, payload)));
  });

  const { corsOrigins, corsLocalhost } = options;
  const cors: FastifyCorsOptions = {
    origin: (origin, callback) => {
      if (corsOrigins === '*') return callback(null, '*');
      const allowed = origin !== undefined && (corsOrigins.includes(origin.toLowerCase()) || (corsLocalhost && LOCALHOST.test(origin)));
      // false: the cors hook steps aside, so a foreign origin gets no CORS header at all.
      callback(null, allowed ? origin : false);
    },
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Accept-Language', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset'],
    // No cookies are used: tokens travel in the Authorization header.
    credentials: false,
    maxAge: 600,
    // Any OPTIONS from an allowed origin is answered as a preflight, as Express's cors did; strict,
    // @fastify/cors would answer one without Access-Control-Request-Method with a plain-text 400.
    strictPreflight: false,
  };
  // @fastify/cors, asked only about requests that carry an Origin: browsers send one on every
  // cross-origin request, and nothing else reads CORS headers (Vary: Origin is set above either
  // way). Through app.enableCors() its hook ran on every request, and Nest copied the answer's
  // headers to the raw response after it: a refresh took 451 against 423 µs of the server's CPU
  // (4 alternating rounds, issue 12). Its onRequest hook is taken here, as Nest's adapter takes
  // it, and run behind that test.
  let corsHook: onRequestHookHandler | undefined;
  const capturing = new Proxy(fastify, {
    get(target, property) {
      if (property === 'addHook') {
        return (name: string, hook: onRequestHookHandler) => {
          if (name === 'onRequest' && !corsHook) corsHook = hook;
          else target.addHook(name as 'onRequest', hook);
          return capturing;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  (fastifyCors as unknown as (instance: FastifyInstance, opts: FastifyCorsOptions, done: (error?: Error) => void) => void)(
    capturing,
    cors,
    (error) => {
      if (error) throw error;
    },
  );
  if (!corsHook) throw new Error('@fastify/cors added no request hook');
  const hook = corsHook;
  fastify.addHook('onRequest', function (request, reply, done) {
    if (request.headers.origin === undefined) return done();
    return hook.call(this, request, reply, done);
  });
}
