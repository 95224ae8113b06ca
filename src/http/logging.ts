import type { INestApplication } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type Logger } from 'pino';
import { requestContext } from './request-context';

export interface HttpLoggingOptions {
  /** pino level: fatal, error, warn, info, debug, trace. */
  level: string;
  /** Human-readable lines (pino-pretty) instead of JSON; for a developer's terminal. */
  pretty: boolean;
}

function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false; // a production install without dev dependencies: JSON it is
  }
}

/**
 * stdout written asynchronously (SonicBoom, sync: false): a request's log line is queued and lines
 * queued during one write go out together in the next, so logging never blocks the event loop (a
 * synchronous write per request was 15 % of the main thread under load). pino flushes it
 * synchronously on process exit; `flushLogs` also drains it when the app shuts down.
 */
export function asyncStdout(): DestinationStream & { flush(cb?: (error?: Error) => void): void } {
  return pino.destination({ dest: 1, sync: false });
}

/** Waits until every queued log line has been written. */
export function flushLogs(stream: { flush(cb?: (error?: Error) => void): void }): Promise<void> {
  return new Promise((resolve) => {
    try {
      stream.flush(() => resolve());
    } catch {
      resolve(); // not open yet, or already closed: nothing is queued
    }
  });
}

/** The one pino logger of an app, and the asynchronous stream under it (none with pino-pretty). */
export interface AppLogging {
  logger: Logger;
  stream?: ReturnType<typeof asyncStdout>;
}

/** JSON lines on an asynchronous stdout, or pino-pretty (its own thread) for a developer's terminal. */
export function createLogging({ level, pretty }: HttpLoggingOptions): AppLogging {
  if (pretty && prettyAvailable()) {
    return { logger: pino({ level, transport: { target: 'pino-pretty', options: { singleLine: true, colorize: true } } }) };
  }
  const stream = asyncStdout();
  return { logger: pino({ level }, stream), stream };
}

/**
 * nestjs-pino writes Nest's own log (bootstrap, errors, the services' lines) through `logger`.
 * Its per-request middleware is left out (`forRoutes: []`): run through middie on every request,
 * it was 12–20 % of the CPU of `/me`; `logRequests` writes the request line from a Fastify hook.
 */
export function loggerModuleParams(logger: Logger): Params {
  return { pinoHttp: { logger }, forRoutes: [] };
}

/** A path or query as logged: one-time link tokens sit in the path or query of email links. */
export function loggedUrl(url: string): string {
  return url.replace(/\/(activate|confirm)\/[^/?]+/, '/$1/[token]').replace(/token=[^&]+/, 'token=[token]');
}

/**
 * One JSON line per request, when its answer is sent (or when the client gave up on it), with the
 * request id every other line about it carries: `req` {id, method, url, remoteAddress}, `res`
 * {statusCode}, `responseTime` in ms; `error` level for a 5xx. Headers are never written, so no
 * credential or cookie can reach the log.
 */
export function logRequests(app: INestApplication, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  const req = (request: FastifyRequest) => ({
    id: requestContext(request).requestId,
    method: request.method,
    url: loggedUrl(request.originalUrl),
    remoteAddress: request.raw.socket?.remoteAddress,
  });
  const line = (request: FastifyRequest, reply: FastifyReply) => ({
    req: req(request),
    res: { statusCode: reply.statusCode },
    responseTime: Math.round(reply.elapsedTime),
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 500) logger.error(line(request, reply), 'request errored');
    else if (logger.isLevelEnabled('info')) logger.info(line(request, reply), 'request completed');
    done();
  });
  // The client closed the connection before its request was read whole: no answer was sent.
  fastify.addHook('onRequestAbort', (request, done) => {
    if (logger.isLevelEnabled('info')) logger.info({ req: req(request) }, 'request aborted');
    done();
  });
}
