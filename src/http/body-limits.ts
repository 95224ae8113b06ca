import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { hasBodyOfType, type HttpRequest } from './platform';
import { AppError } from './app-error';
import { failureEnvelope } from './envelope';
import { languageOf, type MessageKey } from './messages';

/** Deeper than any body this service reads (its DTOs are flat); far below what recursion survives. */
export const MAX_JSON_DEPTH = 32;

const bodyError = (status: number, type: string, message: string) => Object.assign(new Error(message), { status, type });

/**
 * The JSON body parser: on the raw bytes, before JSON.parse, a body nested 2,500 deep (15 kB) is
 * refused with 400 before any parsing, transforming or validating work (one pass counting
 * brackets outside strings, no reviver, no allocation). Only UTF-8 is read (the contract's
 * encoding); another charset is a 415. As Express's parser did: only an object or an array is a
 * body, an empty body is no body. Errors carry `status` and `type` for the exception filter.
 */
export function parseJsonBody(body: Buffer, contentType: string | undefined, maxDepth = MAX_JSON_DEPTH): unknown {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(contentType ?? '')?.[1];
  if (charset && !/^utf-?8$/i.test(charset)) throw bodyError(415, 'charset.unsupported', `unsupported charset ${charset}`);
  let depth = 0;
  let inString = false;
  let first = -1;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c)
        i++; // backslash: the next byte is escaped
      else if (byte === 0x22) inString = false;
      continue;
    }
    if (first < 0 && byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) first = byte;
    if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      if (++depth > maxDepth) throw bodyError(400, 'entity.too.deep', 'JSON nested too deeply');
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  if (first < 0) return undefined;
  if (first !== 0x7b && first !== 0x5b) throw bodyError(400, 'entity.parse.failed', 'JSON body is not an object or an array');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    throw bodyError(400, 'entity.parse.failed', 'malformed JSON');
  }
}

/**
 * Bodies are read as sent: a compressed one (`Content-Encoding: gzip`, ...) is a 415, not a
 * "malformed JSON" 400, and nothing is ever inflated (no decompression bomb to bound).
 */
export function assertIdentityEncoding(encoding: string | string[] | undefined): void {
  const value = [encoding ?? []].flat().join(',').trim().toLowerCase();
  if (value !== '' && value !== 'identity') throw bodyError(415, 'encoding.unsupported', `unsupported content encoding ${value}`);
}

/** A request with a body that is not JSON, on a JSON route: 415 (a form post only where the route says @AcceptsForm). */
export class UnsupportedMediaTypeError extends AppError {
  constructor() {
    super(415, 'unsupported_media_type');
  }
}

export function assertJsonBody(request: HttpRequest, acceptsForm: boolean): void {
  const length = request.headers['content-length'];
  const hasBody = request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody) return;
  if (hasBodyOfType(request, 'application/json')) return;
  if (acceptsForm && hasBodyOfType(request, 'application/x-www-form-urlencoded')) return;
  throw new UnsupportedMediaTypeError();
}

const CLIENT_ERRORS: Record<string, { status: number; key: MessageKey }> = {
  HPE_HEADER_OVERFLOW: { status: 431, key: 'headers_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, key: 'request_timeout' },
  HPE_HEADER_TIMEOUT: { status: 408, key: 'request_timeout' },
};

/**
 * What Node's HTTP parser refuses (oversized headers, a malformed request line) never reaches
 * Fastify's routes or Nest, so there is no context to render it: this answers it in the envelope
 * itself (Fastify's `clientErrorHandler`), in the language of an Accept-Language found in the
 * bytes received (Indonesian otherwise), then closes the connection.
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const { status, key } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, key: 'bad_request' as MessageKey };
  const raw = (error as { rawPacket?: Buffer }).rawPacket?.toString('latin1') ?? '';
  const lang = languageOf(/\r\naccept-language:[ \t]*([^\r\n]*)/i.exec(raw)?.[1]);
  const text = JSON.stringify(failureEnvelope(key, lang));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
