import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Request } from 'express';
import { AppError } from './app-error';
import type { Envelope } from './envelope';
import { languageOf, type MessageKey, translate } from './messages';

/** Deeper than any body this service reads (its DTOs are flat); far below what recursion survives. */
export const MAX_JSON_DEPTH = 32;

/**
 * body-parser's `verify` hook: runs on the raw bytes before JSON.parse, so a body nested 2,500
 * deep (15 kB) is refused with 400 before any parsing, transforming or validating work. Counts
 * brackets outside strings in one pass, no reviver, no allocation. Only UTF-8 is scanned (the
 * contract's encoding); another charset is a 415.
 */
export function rejectDeepJson(maxDepth = MAX_JSON_DEPTH) {
  return (_req: unknown, _res: unknown, body: Buffer, encoding: string | null): void => {
    if (encoding && !/^utf-?8$/i.test(encoding)) {
      throw Object.assign(new Error(`unsupported charset ${encoding}`), { status: 415, type: 'charset.unsupported' });
    }
    let depth = 0;
    let inString = false;
    for (let i = 0; i < body.length; i++) {
      const byte = body[i];
      if (inString) {
        if (byte === 0x5c)
          i++; // backslash: the next byte is escaped
        else if (byte === 0x22) inString = false;
      } else if (byte === 0x22) {
        inString = true;
      } else if (byte === 0x7b || byte === 0x5b) {
        if (++depth > maxDepth) throw Object.assign(new Error('JSON nested too deeply'), { status: 400, type: 'entity.too.deep' });
      } else if (byte === 0x7d || byte === 0x5d) {
        depth--;
      }
    }
  };
}

/** A request with a body that is not JSON, on a JSON route: 415 (a form post only where the route says @AcceptsForm). */
export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super(415, 'unsupported_media_type');
  }
}

export function assertJsonBody(request: Request, acceptsForm: boolean): void {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return;
  if (request.is('application/json')) return;
  if (acceptsForm && request.is('application/x-www-form-urlencoded')) return;
  throw new UnsupportedMediaTypeError();
}

const CLIENT_ERRORS: Record<string, { status: number; key: MessageKey }> = {
  HPE_HEADER_OVERFLOW: { status: 431, key: 'headers_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, key: 'request_timeout' },
  HPE_HEADER_TIMEOUT: { status: 408, key: 'request_timeout' },
};

/**
 * What Node's HTTP parser refuses (oversized headers, a malformed request line) never reaches
 * Express or Nest, so there is no context to render it: this answers it in the envelope itself,
 * in the language of an Accept-Language found in the bytes received (Indonesian otherwise), then
 * closes the connection.
 */
export function answerClientErrorsInEnvelope(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const { status, key } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, key: 'bad_request' as MessageKey };
    const raw = (error as { rawPacket?: Buffer }).rawPacket?.toString('latin1') ?? '';
    const lang = languageOf(/\r\naccept-language:[ \t]*([^\r\n]*)/i.exec(raw)?.[1]);
    const body: Envelope = { error: [translate(key, lang)], message: translate('process_failed', lang), data: null };
    const text = JSON.stringify(body);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  });
}
