import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import type { Lang } from '../http';
import { MailService } from './mail.service';
import { MailTransport } from './mail.transport';
import { renderMail, type TemplateId } from './templates';

interface OutboxRow {
  id: string;
  to_address: string;
  template: TemplateId | null;
  request: string | null;
  lang: Lang;
  vars: Record<string, string>;
  attempts: number;
  created_at: Date;
}

/** How often an idle worker looks for due rows. */
const POLL_MS = 200;
const BATCH = 10;
/** A claimed row is this instance's until then; a crashed instance's rows come back after it. */
const LEASE_SECONDS = 120;
/** Backoff: 1 s, 2 s, 4 s, … up to 5 minutes, each with up to half of it taken off at random. */
const MAX_BACKOFF_SECONDS = 300;
/** A mail undelivered this long (its link has expired by then) is given up, and so is one refused permanently 5 times. */
const GIVE_UP_AFTER_MS = 24 * 3600_000;
const PERMANENT_FAILURE_ATTEMPTS = 5;
const STUCK_AFTER_MINUTES = 5;
const HOUSEKEEPING_MS = 30_000;
const KEEP_DELIVERED_DAYS = 7;

/**
 * Delivers the outbox. Claims due rows with FOR UPDATE SKIP LOCKED and a lease, so several
 * instances never claim one row together; marks a mail sent only after the SMTP server accepted
 * it (a crash in between sends it again: at least once), then erases its link. Failures retry
 * with exponential backoff and jitter; mail waiting longer than a few minutes is logged.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailOutbox');
  private readonly workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`.slice(0, 80);
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<void>;
  private stopping = false;
  private transportFailing = false;
  private lastHousekeeping = 0;
  private lastPurge = 0;
  private lastDatabaseWarning = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly mail: MailService,
    private readonly transport: MailTransport,
  ) {}

  onApplicationBootstrap(): void {
    this.mail.markStart();
    this.schedule(0);
  }

  /** Lets the current mail finish, hands back the rest of the batch, and stops polling. */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.cycle;
    this.transport.close();
  }

  private schedule(delayMs: number): void {
    if (this.stopping) return;
    this.timer = setTimeout(() => {
      this.cycle = this.runOnce().then((more) => {
        this.cycle = undefined;
        this.schedule(more ? 0 : POLL_MS);
      });
    }, delayMs);
  }

  /** One batch; true when there may be more due right now. */
  private async runOnce(): Promise<boolean> {
    try {
      const rows = await this.claim();
      for (const [index, row] of rows.entries()) {
        if (this.stopping) {
          await this.release(rows.slice(index));
          return false;
        }
        await this.process(row);
      }
      await this.housekeeping();
      return rows.length === BATCH;
    } catch (error) {
      // The database is away: nothing can be claimed or marked; try again at the next poll.
      if (Date.now() - this.lastDatabaseWarning > 30_000) {
        this.lastDatabaseWarning = Date.now();
        this.logger.warn(`cannot reach the outbox, retrying: ${describe(error)}`);
      }
      return false;
    }
  }

  private async claim(): Promise<OutboxRow[]> {
    return rowsOf<OutboxRow>(
      await this.dataSource.query(
        `WITH due AS (
           SELECT id FROM mail_outbox
            WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
              AND (claimed_until IS NULL OR claimed_until < now())
            ORDER BY next_attempt_at, id
            LIMIT $1
            FOR UPDATE SKIP LOCKED)
         UPDATE mail_outbox m
            SET claimed_until = now() + make_interval(secs => $2), locked_by = $3, attempts = m.attempts + 1
           FROM due WHERE m.id = due.id
         RETURNING m.id, m.to_address, m.template, m.request, m.lang, m.vars, m.attempts, m.created_at`,
        [BATCH, LEASE_SECONDS, this.workerId],
      ),
    ).sort((a, b) => Number(a.id) - Number(b.id));
  }

  private async process(row: OutboxRow): Promise<void> {
    try {
      if (row.request) await this.handleRequest(row);
      else await this.deliver(row);
    } catch (error) {
      await this.retryLater(row, error);
    }
  }

  private async deliver(row: OutboxRow): Promise<void> {
    const template = row.template!;
    try {
      await this.transport.deliver(row.to_address, template, renderMail(template, row.lang, row.vars), row.vars.link);
    } catch (error) {
      this.transportFailing = isConnectionFailure(error);
      throw error;
    }
    await this.dataSource.query(
      `UPDATE mail_outbox SET sent_at = now(), vars = vars - 'link', claimed_until = NULL, last_error = NULL
        WHERE id = $1 AND locked_by = $2`,
      [row.id, this.workerId],
    );
    if (this.transportFailing) {
      // SMTP is back: what waited for it need not wait out its backoff.
      this.transportFailing = false;
      await this.dataSource.query(
        `UPDATE mail_outbox SET next_attempt_at = now()
          WHERE sent_at IS NULL AND failed_at IS NULL AND last_error IS NOT NULL AND next_attempt_at > now()`,
      );
      this.logger.log('SMTP accepts mail again; retrying what waited for it now');
    }
  }

  /** The request's handler and the row's completion commit together: exactly once. */
  private async handleRequest(row: OutboxRow): Promise<void> {
    const handler = this.mail.handlerFor(row.request!);
    if (!handler) throw new Error(`no handler for mail request "${row.request}" in this instance`);
    await this.dataSource.transaction(async (manager) => {
      const done = rowsOf(
        await manager.query(
          `UPDATE mail_outbox SET sent_at = now(), claimed_until = NULL, last_error = NULL
            WHERE id = $1 AND locked_by = $2 AND sent_at IS NULL RETURNING id`,
          [row.id, this.workerId],
        ),
      );
      if (done.length) await handler({ address: row.to_address, lang: row.lang }, manager);
    });
  }

  private async retryLater(row: OutboxRow, error: unknown): Promise<void> {
    const permanent = (error as { responseCode?: number }).responseCode! >= 500;
    const giveUp = Date.now() - new Date(row.created_at).getTime() > GIVE_UP_AFTER_MS || (permanent && row.attempts >= PERMANENT_FAILURE_ATTEMPTS);
    const backoff = Math.min(MAX_BACKOFF_SECONDS, 2 ** (row.attempts - 1));
    const delay = backoff * (0.5 + Math.random() / 2);
    const what = `${row.template ? `mail "${row.template}"` : `request "${row.request}"`} #${row.id} to ${row.to_address}`;
    if (giveUp) this.logger.error(`${what} given up after ${row.attempts} attempts: ${describe(error)}`);
    else this.logger.warn(`${what} failed (attempt ${row.attempts}), retrying in ${delay.toFixed(1)} s: ${describe(error)}`);
    await this.dataSource.query(
      `UPDATE mail_outbox
          SET claimed_until = NULL, last_error = $3, next_attempt_at = now() + make_interval(secs => $4),
              failed_at = CASE WHEN $5 THEN now() END
        WHERE id = $1 AND locked_by = $2`,
      [row.id, this.workerId, describe(error).slice(0, 1000), delay, giveUp],
    );
  }

  /** Claimed but not started (we are stopping): due again at once, for any instance. */
  private async release(rows: OutboxRow[]): Promise<void> {
    await this.dataSource.query(
      `UPDATE mail_outbox SET claimed_until = NULL, attempts = attempts - 1 WHERE id = ANY($1::bigint[]) AND locked_by = $2`,
      [rows.map((row) => row.id), this.workerId],
    );
  }

  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastHousekeeping < HOUSEKEEPING_MS) return;
    this.lastHousekeeping = now;
    const [stuck] = await this.dataSource.query(
      `SELECT count(*)::int AS count, extract(epoch FROM now() - min(created_at))::int AS oldest FROM mail_outbox
        WHERE sent_at IS NULL AND failed_at IS NULL AND created_at < now() - make_interval(mins => $1)`,
      [STUCK_AFTER_MINUTES],
    );
    if (stuck.count > 0) {
      this.logger.warn(`${stuck.count} mail(s) waiting longer than ${STUCK_AFTER_MINUTES} minutes (oldest ${stuck.oldest} s): is SMTP reachable?`);
    }
    if (now - this.lastPurge > 3600_000) {
      this.lastPurge = now;
      await this.dataSource.query(
        `DELETE FROM mail_outbox WHERE coalesce(sent_at, failed_at) < now() - make_interval(days => $1)`,
        [KEEP_DELIVERED_DAYS],
      );
    }
  }
}

/** TypeORM answers an UPDATE … RETURNING with [rows, count], a SELECT with rows. */
function rowsOf<T = unknown>(result: unknown): T[] {
  return (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number' ? result[0] : result) as T[];
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
