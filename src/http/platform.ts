import type { IncomingMessage } from 'node:http';
import accepts from 'accepts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import typeIs from 'type-is';

/**
 * The HTTP platform is Fastify (issue 12: the Express adapter and its router were the largest
 * single cost of an authenticated request). These are the few things the app asks of a request
 * or a reply, in one place, so the rest of the code does not reach into either.
 */
export type HttpRequest = FastifyRequest;
export type HttpReply = FastifyReply;

/** The Node.js request under a Fastify request; a plain IncomingMessage is its own. */
export function rawRequest(request: HttpRequest | IncomingMessage): IncomingMessage {
  return (request as { raw?: IncomingMessage }).raw ?? (request as IncomingMessage);
}

/** The media type the client prefers among `types` (`false` when it accepts none of them). */
export function preferredType(request: HttpRequest, types: string[]): string | false {
  return accepts(rawRequest(request)).type(types) as string | false;
}

/** Every media type the Accept header names, most preferred first. */
export function acceptedTypes(request: HttpRequest): string[] {
  return accepts(rawRequest(request)).types() as string[];
}

/** True when the request's body is of this media type (`application/json`, `urlencoded`...). */
export function hasBodyOfType(request: HttpRequest, type: string): boolean {
  return typeof typeIs(rawRequest(request), [type]) === 'string'; // null: no body; false: another type
}

/** The route template that matched (`/api/users/:id`), undefined for a request no route took. */
export function routeTemplate(request: HttpRequest): string | undefined {
  return request.routeOptions?.url;
}

/** An HTML page as the answer, never cached (its URL or form carries a one-time token). */
export function sendHtmlHeaders(reply: HttpReply): void {
  reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store');
}
