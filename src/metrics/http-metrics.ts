import { CallHandler, ExecutionContext, Injectable, NestInterceptor, NestMiddleware } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { catchError, type Observable, throwError } from 'rxjs';
import { AppError } from '../http';
import { type LoginOutcome, MetricsService } from './metrics.service';

const LOGIN_ROUTE = /\/users\/login$/;

/** Reason keys of login failures, and what they count as. */
const LOGIN_REASONS: Record<string, LoginOutcome> = {
  invalid_credentials: 'invalid_credentials',
  not_activated: 'not_activated',
  too_many_login_failures: 'locked',
  too_many_requests: 'rate_limited',
};

/** The first reason key of a login's failure, noted by the interceptor for the middleware. */
const loginFailures = new WeakMap<Request, string>();

function loginOutcome(req: Request, status: number): LoginOutcome {
  if (status < 300) return 'ok';
  const reason = loginFailures.get(req);
  if (reason && LOGIN_REASONS[reason]) return LOGIN_REASONS[reason];
  if (status === 429) return 'rate_limited'; // the rate-limit guard answers before interceptors run
  if (status === 400 || status === 413 || status === 415) return 'invalid_request';
  if (status === 503) return 'unavailable';
  return 'error';
}

/**
 * Times every request from the first Nest middleware to the last byte and records it under its
 * route template (`/api/users/:id`; `unmatched` for a 404 on no route), and counts login outcomes.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(private readonly metrics: MetricsService) {}

  use(req: Request, res: Response, next: NextFunction): void {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const template = (req.route as { path?: string } | undefined)?.path;
      // Nest answers a path no controller has with its catch-all `*path` route.
      const route = !template || template.startsWith('*') ? 'unmatched' : template;
      const status = res.statusCode;
      this.metrics.httpDuration.observe({ method: req.method, route, status_code: status }, seconds);
      if (req.method === 'POST' && route !== 'unmatched' && LOGIN_ROUTE.test(route)) {
        this.metrics.logins.inc({ outcome: loginOutcome(req, status) });
      }
    });
    next();
  }
}

/** Notes why a login failed (the status alone does not tell a locked account from a rate limit). */
@Injectable()
export class LoginOutcomeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    if (req.method !== 'POST' || !LOGIN_ROUTE.test((req.route as { path?: string } | undefined)?.path ?? '')) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof AppError && error.reasons[0]) loginFailures.set(req, error.reasons[0].key);
        return throwError(() => error);
      }),
    );
  }
}
