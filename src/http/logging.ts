import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from 'nestjs-pino';
import type { Options } from 'pino-http';
import pino, { type DestinationStream } from 'pino';
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

/**
 * nestjs-pino settings every service of the system shares: one JSON line per request with the
 * request id the envelope filter logs too, and credentials never written to the log.
 */
export function httpLoggerParams({ level, pretty }: HttpLoggingOptions, destination?: DestinationStream): Params {
  const usePretty = pretty && prettyAvailable();
  const options: Options = {
    level,
    genReqId: (req: IncomingMessage) => requestContext(req).requestId,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    serializers: {
      req: (req: { id: string; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        // One-time link tokens sit in the path or query of email links: keep them out of the log.
        url: req.url.replace(/\/(activate|confirm)\/[^/?]+/, '/$1/[token]').replace(/token=[^&]+/, 'token=[token]'),
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req: IncomingMessage, res: ServerResponse, error?: Error) => (error || res.statusCode >= 500 ? 'error' : 'info'),
    transport: usePretty ? { target: 'pino-pretty', options: { singleLine: true, colorize: true } } : undefined,
  };
  // pino-pretty runs as a transport (its own thread); JSON lines go to the asynchronous destination.
  return { pinoHttp: usePretty || !destination ? options : [options, destination] };
}
