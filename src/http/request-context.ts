import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { assertJsonBody } from './body-limits';
import { ACCEPTS_FORM, FAILURE_MESSAGE, LINK_PAGE } from './decorators';
import type { MessageKey } from './messages';

export interface RequestContext {
  requestId: string;
  failureMessage?: MessageKey;
  /** The route is a @LinkPage: a browser gets its failures as an HTML page. */
  linkPage?: boolean;
}

const CONTEXT = Symbol('request-context');
type WithContext = Request & { [CONTEXT]?: RequestContext };

export function requestContext(request: Request): RequestContext {
  const req = request as WithContext;
  req[CONTEXT] ??= { requestId: randomUUID() };
  return req[CONTEXT];
}

const SAFE_ID = /^[\w.:-]{1,128}$/;

/** Gives every request an id (a well-formed incoming X-Request-Id is kept) and echoes it back. */
export function requestIdMiddleware(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const context = requestContext(req);
  if (typeof incoming === 'string' && SAFE_ID.test(incoming)) context.requestId = incoming;
  res.setHeader('X-Request-Id', context.requestId);
  next();
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
    const request = context.switchToHttp().getRequest<Request>();
    const routeContext = requestContext(request);
    routeContext.failureMessage = this.reflector.getAllAndOverride<MessageKey | undefined>(FAILURE_MESSAGE, targets);
    routeContext.linkPage = this.reflector.getAllAndOverride<boolean | undefined>(LINK_PAGE, targets) === true;
    // Before authentication and validation: a body that is not JSON is a 415, whatever else is wrong.
    assertJsonBody(request, this.reflector.getAllAndOverride<boolean | undefined>(ACCEPTS_FORM, targets) === true);
    return true;
  }
}
