import { Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { type HttpRequest, requestContext, routeTemplate } from '../http';
import { type LoginOutcome, MetricsService } from './metrics.service';

const LOGIN_ROUTE = /\/users\/login$/;

/** Reason keys of login failures, and what they count as. */
const LOGIN_REASONS: Record<string, LoginOutcome> = {
  invalid_credentials: 'invalid_credentials',
  not_activated: 'not_activated',
  too_many_login_failures: 'locked',
  too_many_requests: 'rate_limited',
};

function loginOutcome(req: HttpRequest, status: number): LoginOutcome {
  if (status < 300) return 'ok';
  // The exception filter notes the first reason of every failure it answers, guards' included.
  const reason = requestContext(req).failureReason;
  if (reason && LOGIN_REASONS[reason]) return LOGIN_REASONS[reason];
  if (status === 429) return 'rate_limited';
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
