import { INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NestExpressApplication, NestExpressBodyParserOptionsFor } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { answerClientErrorsInEnvelope, rejectDeepJson } from './body-limits';
import { EnvelopeInterceptor } from './envelope';
import { EnvelopeExceptionFilter } from './exception.filter';
import { RouteContextGuard, requestIdMiddleware } from './request-context';
import { createValidationPipe } from './validation';

export interface HttpSetupOptions {
  /** Global prefix; every route is also answered under `<prefix>/v1`. */
  prefix: string;
  /** Paths outside the prefix (e.g. `.well-known/jwks.json`). */
  excludeFromPrefix?: string[];
  trustProxy: boolean | number | string;
  bodyLimit?: string;
}

/** What every service of the system does to its HTTP app: envelope, errors, validation, ids. */
export function configureHttp(app: INestApplication, options: HttpSetupOptions): void {
  const express = app as NestExpressApplication;
  express.set('trust proxy', options.trustProxy);
  express.disable('x-powered-by');
  express.use(requestIdMiddleware);
  // `/api/v1/...` is the same route as `/api/...` (the original spec used /api/v1).
  const versioned = `/${options.prefix}/v1/`;
  express.use((req: Request, _res: Response, next: NextFunction) => {
    if (req.url.startsWith(versioned)) req.url = `/${options.prefix}/${req.url.slice(versioned.length)}`;
    else if (req.url === versioned.slice(0, -1)) req.url = `/${options.prefix}`;
    next();
  });
  // Depth and size are limited before any parsing work (body-limits.ts); Node's parser errors get the envelope too.
  // `verify` is left out of Nest's type (it is Nest's own hook when rawBody is on, which it is not here).
  const jsonOptions = { limit: options.bodyLimit ?? '100kb', verify: rejectDeepJson() };
  express.useBodyParser('json', jsonOptions as NestExpressBodyParserOptionsFor<'json'>);
  answerClientErrorsInEnvelope(app.getHttpServer());
  express.useBodyParser('urlencoded', { limit: options.bodyLimit ?? '100kb', extended: false });
  app.setGlobalPrefix(options.prefix, { exclude: options.excludeFromPrefix ?? [] });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new EnvelopeExceptionFilter());
  app.useGlobalInterceptors(new EnvelopeInterceptor());
  app.useGlobalGuards(new RouteContextGuard(app.get(Reflector)));
}
