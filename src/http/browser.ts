import type { INestApplication } from '@nestjs/common';
import type { CorsOptions } from '@nestjs/common/interfaces/external/cors-options.interface';
import type { FastifyInstance } from 'fastify';
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
  // The pages (link outcomes, forms) and, harmlessly, every JSON answer: nothing may run, load or frame it.
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
  // helmet's middleware sets headers on the Node.js response, which Fastify merges into every
  // answer it sends (errors and 404s included); a hook rather than middleware skips middie.
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRequest', (request, reply, done) => {
    // The answer depends on Origin whenever origins are listed: shared caches must keep them apart.
    if (options.corsOrigins !== '*') reply.raw.setHeader('Vary', 'Origin');
    const path = request.url.split('?', 1)[0];
    (isDocs(path) ? docs : pages)(request.raw, reply.raw, (error?: unknown) => done(error as Error | undefined));
  });

  const { corsOrigins, corsLocalhost } = options;
  app.enableCors({
    origin: (origin: string | undefined, callback: (error: Error | null, allow?: string | boolean) => void) => {
      if (corsOrigins === '*') return callback(null, '*');
      const allowed = origin !== undefined && (corsOrigins.includes(origin.toLowerCase()) || (corsLocalhost && LOCALHOST.test(origin)));
      // false: the cors middleware steps aside, so a foreign origin gets no CORS header at all.
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
  } as CorsOptions);
}
