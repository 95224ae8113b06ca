import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { HttpRequest } from './platform';
import { map, Observable } from 'rxjs';
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

/** Renders every ApiResult a handler returns into `{ error: null, message, data, ...extra }`. */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    return next.handle().pipe(
      map((value) => {
        if (!(value instanceof ApiResult)) return value;
        const envelope: Envelope = {
          error: null,
          message: translate(value.message, languageOf(request.headers['accept-language'])),
          data: value.data,
          ...value.extra,
        };
        return envelope;
      }),
    );
  }
}
