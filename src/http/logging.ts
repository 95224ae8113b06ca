import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request } from 'express';
import type { Params } from 'nestjs-pino';
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
 * nestjs-pino settings every service of the system shares: one JSON line per request with the
 * request id the envelope filter logs too, and credentials never written to the log.
 */
export function httpLoggerParams({ level, pretty }: HttpLoggingOptions): Params {
  return {
    pinoHttp: {
      level,
      genReqId: (req: IncomingMessage) => requestContext(req as Request).requestId,
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
      transport: pretty && prettyAvailable() ? { target: 'pino-pretty', options: { singleLine: true, colorize: true } } : undefined,
    },
  };
}
