import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { type HttpRequest, routeTemplate } from '../http';
import type { Observable } from 'rxjs';

/** The route list's name for route 1 (API.md, "The original documents' own requests"). */
export const ROUTE_LIST_REGISTER_PATH = 'register';

/**
 * On `POST /api/users/register` only, the route list's body (no `confirmation`) is accepted: the
 * password it sends is its own confirmation. Interceptors run before pipes, so the one
 * RegisterDto and its messages serve both paths; on `POST /api/users` a missing confirmation is
 * still a 400.
 */
@Injectable()
export class RouteListRegisterBody implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    const body: unknown = request.body;
    const onAlias = routeTemplate(request)?.endsWith(`/${ROUTE_LIST_REGISTER_PATH}`) === true;
    if (onAlias && isObject(body) && !('confirmation' in body) && 'password' in body) body.confirmation = body.password;
    return next.handle();
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
