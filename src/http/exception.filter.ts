import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { AppError } from './app-error';
import type { Envelope } from './envelope';
import { languageOf, MessageKey, MessageRef, translate } from './messages';
import { linkPageHtml, prefersHtml } from './link-outcome';
import { type HttpReply, type HttpRequest, sendHtmlHeaders } from './platform';
import { requestContext } from './request-context';

// 57014: statement_timeout (a hung or overloaded server); 53300: too many connections.
const DB_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  '57P01',
  '57P03',
  '57014',
  '53300',
  '08000',
  '08001',
  '08003',
  '08006',
]);

/** Reasons for the HttpExceptions Nest itself (or a library) throws, by status. */
const REASON_BY_STATUS: Partial<Record<number, MessageKey>> = {
  [HttpStatus.BAD_REQUEST]: 'v_body_object',
  [HttpStatus.UNAUTHORIZED]: 'token_invalid',
  [HttpStatus.FORBIDDEN]: 'forbidden',
  [HttpStatus.NOT_FOUND]: 'route_not_found',
  [HttpStatus.METHOD_NOT_ALLOWED]: 'method_not_allowed',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'payload_too_large',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'unsupported_media_type',
  [HttpStatus.TOO_MANY_REQUESTS]: 'too_many_requests',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'database_unavailable',
};

interface Rendered {
  status: number;
  reasons: MessageRef[];
  summary?: MessageKey;
  headers?: Record<string, string>;
  data?: unknown[] | null;
}

/**
 * The one place failures become HTTP responses: the contract's envelope, translated, with no
 * stack and no SQL. Unexpected errors are logged with the request id and answered generically.
 */
@Catch()
export class EnvelopeExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Exceptions');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const reply = http.getResponse<HttpReply>();
    const rendered = this.render(exception, request);
    if (reply.sent || reply.raw.headersSent) return;

    for (const [name, value] of Object.entries(rendered.headers ?? {})) reply.header(name, value);
    const context = requestContext(request);
    context.failureReason = rendered.reasons[0]?.key;
    if (context.linkPage && prefersHtml(request)) {
      sendHtmlHeaders(reply.code(rendered.status));
      reply.send(linkPageHtml(request, rendered.reasons));
      return;
    }
    const lang = languageOf(request.headers['accept-language']);
    const summary = rendered.summary ?? context.failureMessage ?? 'process_failed';
    const body: Envelope = {
      error: rendered.reasons.map((reason) => translate(reason, lang)),
      message: translate(summary, lang),
      data: rendered.data ?? null,
    };
    reply.code(rendered.status).type('application/json; charset=utf-8').send(body);
  }

  private render(exception: unknown, request: HttpRequest): Rendered {
    if (exception instanceof AppError) {
      return {
        status: exception.status,
        reasons: exception.reasons,
        summary: exception.summary,
        headers: exception.headers,
        data: exception.data,
      };
    }
    const bodyError = this.bodyParserError(exception);
    if (bodyError) return bodyError;
    // A bad %-escape in the path (`/api/users/%E0%A4%A`): the router could not decode a parameter.
    if (exception instanceof URIError || (exception instanceof HttpException && exception.cause instanceof URIError)) {
      return { status: HttpStatus.BAD_REQUEST, reasons: [{ key: 'malformed_path' }] };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const reason = REASON_BY_STATUS[status];
      if (reason) return { status, reasons: [{ key: reason }] };
      if (status < 500) return { status, reasons: [{ key: 'v_invalid', params: { field: 'request' } }] };
    }
    const constraintError = this.constraintError(exception);
    if (constraintError) return constraintError;
    const valueError = this.valueError(exception);
    if (valueError) return valueError;
    if (this.isDatabaseDown(exception)) {
      this.logger.error(`database unavailable [request ${requestContext(request).requestId}]: ${String(exception)}`);
      return { status: HttpStatus.SERVICE_UNAVAILABLE, reasons: [{ key: 'database_unavailable' }] };
    }
    if (this.isRedisDown(exception)) {
      this.logger.error(`shared counter store unavailable [request ${requestContext(request).requestId}]: ${String(exception)}`);
      return { status: HttpStatus.SERVICE_UNAVAILABLE, reasons: [{ key: 'service_unavailable' }] };
    }
    this.logger.error(
      `unexpected error on ${request.method} ${request.originalUrl ?? request.url} [request ${requestContext(request).requestId}]`,
      exception instanceof Error ? exception.stack : String(exception),
    );
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, reasons: [{ key: 'internal' }] };
  }

  /**
   * Errors of reading the body happen before any route runs: the JSON parser's carry `type` and
   * `status` (body-limits.ts), Fastify's own a `FST_` code and `statusCode` (too large, a
   * Content-Length that does not match).
   */
  private bodyParserError(exception: unknown): Rendered | undefined {
    const cause = exception instanceof HttpException ? exception.cause : exception;
    const error = cause as { type?: string; code?: string; statusCode?: number } | null;
    switch (error?.type) {
      case 'entity.parse.failed':
        return { status: HttpStatus.BAD_REQUEST, reasons: [{ key: 'malformed_json' }] };
      case 'entity.too.deep':
        return { status: HttpStatus.BAD_REQUEST, reasons: [{ key: 'json_too_deep' }] };
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, reasons: [{ key: 'unsupported_media_type' }] };
    }
    // Fastify's own (413 too large, 400 a Content-Length that does not match, ...).
    if (error?.code?.startsWith('FST_') && typeof error.statusCode === 'number' && error.statusCode < 500) {
      return { status: error.statusCode, reasons: [{ key: REASON_BY_STATUS[error.statusCode] ?? 'bad_request' }] };
    }
    return undefined;
  }

  /**
   * A unique index is where uniqueness is decided (two simultaneous registrations of one email
   * race here, not in a look-up): its violation is a 409, never a 500.
   */
  private constraintError(exception: unknown): Rendered | undefined {
    const error = exception as { driverError?: { code?: string; constraint?: string }; code?: string } | null;
    if ((error?.driverError?.code ?? error?.code) !== '23505') return undefined;
    const constraint = error?.driverError?.constraint ?? '';
    return {
      status: HttpStatus.CONFLICT,
      reasons: [constraint.includes('email') ? { key: 'email_taken' } : { key: 'v_invalid', params: { field: 'request' } }],
    };
  }

  /**
   * A backstop: the field decorators count as the columns do, so these should never reach here,
   * but a value the database refuses as data (22001 too long, 22P05 / 22021 characters it cannot
   * store) is the client's input: a 400, never a 500.
   */
  private valueError(exception: unknown): Rendered | undefined {
    const error = exception as { driverError?: { code?: string }; code?: string } | null;
    const code = error?.driverError?.code ?? error?.code;
    if (code === '22001') return { status: HttpStatus.BAD_REQUEST, reasons: [{ key: 'value_too_long' }] };
    if (code === '22P05' || code === '22021')
      return { status: HttpStatus.BAD_REQUEST, reasons: [{ key: 'v_invalid', params: { field: 'request' } }] };
    return undefined;
  }

  /** ioredis gives up on a command while Redis (REDIS_URL, the rate-limit counters) is away. */
  private isRedisDown(exception: unknown): boolean {
    const error = exception as { name?: string; message?: string } | null;
    return error?.name === 'MaxRetriesPerRequestError' || /^(Connection is closed|Stream isn't writeable)/.test(error?.message ?? '');
  }

  private isDatabaseDown(exception: unknown): boolean {
    const error = exception as { code?: string; message?: string; driverError?: { code?: string } } | null;
    const code = error?.driverError?.code ?? error?.code;
    if (code && DB_DOWN_CODES.has(code)) return true;
    // pg-pool's "timeout exceeded when trying to connect" is an exhausted pool (or a server that
    // does not answer); "Query read timeout" is the pool's silence watch on a hung connection (data-source.ts).
    return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|the database system is (starting|shutting) down|Client has encountered a connection error/i.test(
      error?.message ?? '',
    );
  }
}
