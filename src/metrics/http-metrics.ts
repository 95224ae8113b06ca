import { CallHandler, ExecutionContext, Injectable, NestInterceptor, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { catchError, type Observable, throwError } from 'rxjs';
import { AppError, type HttpRequest, routeTemplate } from '../http';
import { type LoginOutcome, MetricsService } from './metrics.service';

const LOGIN_ROUTE = /\/users\/login$/;

/** Reason keys of login failures, and what they count as. */
const LOGIN_REASONS: Record<string, LoginOutcome> = {
  invalid_credentials: 'invalid_credentials',
  not_activated: 'not_activated',
  too_many_login_failures: 'locked',
  too_many_requests: 'rate_limited',
};

/** The first reason key of a login's failure, noted by the interceptor for the hook. */
const loginFailures = new WeakMap<HttpRequest, string>();

function loginOutcome(req: HttpRequest, status: number): LoginOutcome {
  if (status < 300) return 'ok';
  const reason = loginFailures.get(req);
  if (reason && LOGIN_REASONS[reason]) return LOGIN_REASONS[reason];
  if (status === 429) return 'rate_limited'; // the rate-limit guard answers before interceptors run
  if (status === 400 || status === 413 || status === 415) return 'invalid_request';
  if (status === 503) return 'unavailable';
  return 'error';
}

/**
 * Times every request from its arrival to the last byte (Fastify's `elapsedTime`) and records it
 * under its route template (`/api/users/:id`; `unmatched` for a 404 on no route), and counts
 * login outcomes. Fastify hooks, added before the app listens.
 */
@Injectable()
export class HttpMetricsHooks implements OnModuleInit {
  constructor(
    private readonly metrics: MetricsService,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', (request, reply, done) => {
      const template = routeTemplate(request);
      const route = template ?? 'unmatched';
      const status = reply.statusCode;
      this.metrics.httpDuration.observe({ method: request.method, route, status_code: status }, reply.elapsedTime / 1000);
      if (request.method === 'POST' && route !== 'unmatched' && LOGIN_ROUTE.test(route)) {
        this.metrics.logins.inc({ outcome: loginOutcome(request, status) });
      }
      done();
    });
  }
}

/** Notes why a login failed (the status alone does not tell a locked account from a rate limit). */
@Injectable()
export class LoginOutcomeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    if (req.method !== 'POST' || !LOGIN_ROUTE.test(routeTemplate(req) ?? '')) return next.handle();
    return next.handle().pipe(
      catchError((error: unknown) => {
        if (error instanceof AppError && error.reasons[0]) loginFailures.set(req, error.reasons[0].key);
        return throwError(() => error);
      }),
    );
  }
}
