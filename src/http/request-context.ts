import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { assertJsonBody } from './body-limits';
import { ACCEPTS_FORM, FAILURE_MESSAGE, LINK_PAGE } from './decorators';
import type { MessageKey } from './messages';
import { rawRequest, type HttpRequest } from './platform';

export interface RequestContext {
  requestId: string;
  failureMessage?: MessageKey;
  /** The route is a @LinkPage: a browser gets its failures as an HTML page. */
  linkPage?: boolean;
  /** The first reason key of the failure the exception filter answered (for the login metrics). */
  failureReason?: string;
}

const CONTEXT = Symbol('request-context');
type WithContext = IncomingMessage & { [CONTEXT]?: RequestContext };
const SAFE_ID = /^[\w.:-]{1,128}$/;

/**
 * The request's context, kept on the Node.js request so that the logger (which sees only that),
 * Fastify and Nest share it. Its id is a well-formed incoming X-Request-Id, else a new UUID.
 */
export function requestContext(request: HttpRequest | IncomingMessage): RequestContext {
  const req = rawRequest(request) as WithContext;
  if (!req[CONTEXT]) {
    const incoming = req.headers['x-request-id'];
    req[CONTEXT] = { requestId: typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID() };
  }
  return req[CONTEXT];
}

/** Fastify's `genReqId`: the id the request is known by everywhere (logs, X-Request-Id, errors). */
export function requestIdOf(raw: IncomingMessage): string {
  return requestContext(raw).requestId;
}

/**
 * Runs before every other guard (registered with useGlobalGuards) and records what the route
 * declares about its failures (@FailureMessage, @LinkPage), so the exception filter can render
 * them even when a later guard or the validation pipe is what threw.
 */
@Injectable()
export class RouteContextGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const routeContext = requestContext(request);
    routeContext.failureMessage = this.reflector.getAllAndOverride<MessageKey | undefined>(FAILURE_MESSAGE, targets);
    routeContext.linkPage = this.reflector.getAllAndOverride<boolean | undefined>(LINK_PAGE, targets) === true;
    // Before authentication and validation: a body that is not JSON is a 415, whatever else is wrong.
    assertJsonBody(request, this.reflector.getAllAndOverride<boolean | undefined>(ACCEPTS_FORM, targets) === true);
    return true;
  }
}
