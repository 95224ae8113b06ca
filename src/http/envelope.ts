import type { FastifyRequest } from 'fastify';
import { type Lang, languageOf, MessageKey, translate } from './messages';

/** What a controller returns: the envelope's content before its message is translated. */
export class ApiResult<T = unknown> {
  constructor(
    readonly message: MessageKey,
    readonly data: T[] | null,
    /** Top-level additions the contract allows: token fields, `meta`. */
    readonly extra: Record<string, unknown> = {},
  ) {}
}

export function ok<T>(message: MessageKey, data: T | T[] | null, extra?: Record<string, unknown>): ApiResult<T> {
  return new ApiResult<T>(message, data === null ? null : Array.isArray(data) ? data : [data], extra);
}

export interface Envelope {
  error: string[] | null;
  message: string;
  data: unknown[] | null;
  [extra: string]: unknown;
}

/** A failure answered before any route ran (the parser, the router): one reason, "Proses gagal". */
export function failureEnvelope(reason: MessageKey, lang: Lang): Envelope {
  return { error: [translate(reason, lang)], message: translate('process_failed', lang), data: null };
}

/**
 * Renders an ApiResult a handler returned into `{ error: null, message, data, ...extra }`; anything
 * else (an envelope the exception filter built, a page) passes as it is. Fastify's
 * `preSerialization` hook (http/setup.ts) rather than a Nest interceptor: with no global
 * interceptor Nest runs a handler without building an rxjs pipeline around it (refresh, A/B at 8
 * connections: 912 -> 734 µs CPU per request; issue 12).
 */
export function renderResult(request: FastifyRequest, payload: unknown): unknown {
  if (!(payload instanceof ApiResult)) return payload;
  const envelope: Envelope = {
    error: null,
    message: translate(payload.message, languageOf(request.headers['accept-language'])),
    data: payload.data,
    ...payload.extra,
  };
  return envelope;
}
