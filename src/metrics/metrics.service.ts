import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { driverPool } from '../database/data-source';

/** The outcomes login is counted by; any other failure is `error`. */
export type LoginOutcome =
  'ok' | 'invalid_credentials' | 'not_activated' | 'locked' | 'rate_limited' | 'invalid_request' | 'unavailable' | 'error';

const PG_UNDEFINED_TABLE = '42P01';
const PG_UNDEFINED_COLUMN = '42703';

/**
 * Every series of /metrics, in a registry of its own (not prom-client's global one, so several
 * apps in one process, as in the tests, do not collide).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');
  private readonly pool: Pool;
  private outboxMissingLogged = false;

  /** Request rate (`_count`) and latency per route template, never the raw URL (ids and tokens stay out). */
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code, and how long they took',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly logins = new Counter({
    name: 'auth_login_attempts_total',
    help: 'POST /api/users/login answers by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(@InjectDataSource() dataSource: DataSource) {
    this.pool = driverPool(dataSource);
    collectDefaultMetrics({ register: this.registry });
    const pool = () => this.pool;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Connections of the database pool, by state (idle, busy) and its maximum',
      labelNames: ['state'] as const,
      registers: [this.registry],
      collect() {
        const { totalCount, idleCount, options } = pool();
        this.set({ state: 'idle' }, idleCount);
        this.set({ state: 'busy' }, totalCount - idleCount);
        this.set({ state: 'max' }, options.max ?? 10);
      },
    });
    new Gauge({
      name: 'db_pool_waiting_requests',
      help: 'Queries waiting for a free database connection',
      registers: [this.registry],
      collect() {
        this.set(pool().waitingCount);
      },
    });
    const outbox = () => this.outbox();
    new Gauge({
      name: 'mail_outbox_pending',
      help: 'Emails in the outbox not sent yet',
      registers: [this.registry],
      async collect() {
        const figures = await outbox();
        if (figures) this.set(figures.pending);
      },
    });
    new Gauge({
      name: 'mail_outbox_oldest_pending_age_seconds',
      help: 'Age of the oldest email not sent yet (0 when none is pending)',
      registers: [this.registry],
      async collect() {
        const figures = await outbox();
        if (figures) this.set(figures.oldestAge);
      },
    });
  }

  /** One query per scrape, shared by both outbox gauges. */
  private outboxQuery?: Promise<{ pending: number; oldestAge: number } | undefined>;

  private outbox(): Promise<{ pending: number; oldestAge: number } | undefined> {
    this.outboxQuery ??= this.readOutbox().finally(() => setImmediate(() => (this.outboxQuery = undefined)));
    return this.outboxQuery;
  }

  /**
   * Backlog of `mail_outbox` (pending = `sent_at IS NULL`). Before that table exists (or while the
   * database is down) the gauges keep their last value instead of failing the scrape.
   */
  private async readOutbox(): Promise<{ pending: number; oldestAge: number } | undefined> {
    try {
      const { rows } = await this.pool.query<{ pending: number; oldest_age: number }>(
        `SELECT count(*)::int AS pending, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age
           FROM mail_outbox WHERE sent_at IS NULL`,
      );
      return { pending: rows[0].pending, oldestAge: rows[0].oldest_age };
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === PG_UNDEFINED_TABLE || code === PG_UNDEFINED_COLUMN) {
        if (!this.outboxMissingLogged) this.logger.debug('no mail_outbox table (yet): outbox gauges stay at 0');
        this.outboxMissingLogged = true;
        return { pending: 0, oldestAge: 0 };
      }
      this.logger.warn(`outbox gauges not updated: ${(error as Error).message}`);
      return undefined;
    }
  }
}
