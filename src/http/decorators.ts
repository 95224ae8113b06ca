import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { HttpRequest } from './platform';
import { languageOf, type Lang, type MessageKey } from './messages';

export const IS_PUBLIC = 'http:public';
export const ROLES = 'http:roles';
export const FAILURE_MESSAGE = 'http:failure-message';
export const LINK_PAGE = 'http:link-page';

/** The route needs no access token. Every other route does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only callers with one of these roles may use the route. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/** The envelope's `message` when this route fails (default "Proses gagal"). */
export const FailureMessage = (key: MessageKey) => SetMetadata(FAILURE_MESSAGE, key);

/**
 * A route people reach from an email link (or its form): a browser gets a small HTML page with
 * the outcome, success or failure, instead of JSON. JSON clients still get the envelope.
 */
export const LinkPage = () => SetMetadata(LINK_PAGE, true);

export const ACCEPTS_FORM = 'http:accepts-form';

/**
 * The route also takes an HTML form's `application/x-www-form-urlencoded` body (the reset form).
 * Every other route answers a body that is not JSON with 415.
 */
export const AcceptsForm = () => SetMetadata(ACCEPTS_FORM, true);

/** What the access-token guard attaches to the request. */
export interface AuthUser<U = unknown> {
  id: string;
  role: string;
  sessionId: string;
  /** The caller's row, read by the guard with the session check (one query), so handlers need not read it again. */
  user?: U;
}

export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthUser => {
  return context.switchToHttp().getRequest<HttpRequest & { user: AuthUser }>().user;
});

/** The request's language ("id" unless Accept-Language prefers English). */
export const RequestLang = createParamDecorator((_: unknown, context: ExecutionContext): Lang => {
  return languageOf(context.switchToHttp().getRequest<HttpRequest>().headers['accept-language']);
});

/** Who made the request, for the audit log: the client address (TRUST_PROXY decides) and user agent. */
export interface ClientInfo {
  ip: string | null;
  userAgent: string | null;
}

export const RequestClient = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo => {
  const request = context.switchToHttp().getRequest<HttpRequest>();
  const agent = request.headers['user-agent'];
  return { ip: request.ip ?? null, userAgent: typeof agent === 'string' ? agent : null };
});
