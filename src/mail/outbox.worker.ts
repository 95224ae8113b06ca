import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
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
/** Backoff: 1 s, 2 s, 4 s, … up to 5 minutes, each with up to half of it taken off at random. */
const MAX_BACKOFF_SECONDS = 300;
/** A mail undelivered this long (its link has expired by then) is given up, and so is one refused permanently 5 times. */
const GIVE_UP_AFTER_MS = 24 * 3600_000;
const PERMANENT_FAILURE_ATTEMPTS = 5;
const STUCK_AFTER_MINUTES = 5;
const HOUSEKEEPING_MS = 30_000;
const KEEP_DELIVERED_DAYS = 7;

/**
 * Delivers the outbox. Claims due rows with FOR UPDATE SKIP LOCKED, so several instances never
 * take one row together; marks a mail sent only after the SMTP server accepted it (a crash in
 * between sends it again: at least once), then erases its link. Failures retry
 * with exponential backoff and jitter; mail waiting longer than a few minutes is logged.
 */
@Injectable()
export class OutboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('MailOutbox');
  private timer?: NodeJS.Timeout;
  private cycle?: Promise<void>;
  private stopping = false;
  private transportFailing = false;
  private transportRecovered = false;
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

  /** Lets the mails being sent finish (a batch at most), and stops polling. */
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

  /**
   * One batch in one transaction, its rows locked FOR UPDATE SKIP LOCKED until it ends: no other
   * instance can take them meanwhile, and if this process dies its connection goes and the locks
   * with it, so the rows are due again at once. True when there may be more due right now.
   */
  private async runOnce(): Promise<boolean> {
    try {
      // A cheap look first (one statement on the partial index), so an idle worker opens no
      // transaction: 5 round trips a second instead of 15 (BEGIN, the claim, COMMIT). Rows another
      // instance holds look due here too; the claim below then skips them and takes nothing.
      if (!(await this.anyDue())) {
        await this.housekeeping();
        return false;
      }
      const claimed = await this.dataSource.transaction(async (db) => {
        const rows = await this.claim(db);
        if (this.stopping) return 0;
        // Requests one after another (each in a savepoint), mails side by side: an SMTP round
        // trip is slow next to a query. Stopping waits for the batch under way.
        for (const row of rows.filter((row) => row.request)) await this.handleRequest(row, db);
        const mails = rows.filter((row) => row.template);
        const failures = await Promise.all(
          mails.map((row) =>
            this.deliver(row).then(
              () => undefined,
              (error: unknown) => error ?? 'failed',
            ),
          ),
        );
        for (const [index, row] of mails.entries()) {
          if (failures[index] === undefined) await this.markSent(row, db);
          else await this.retryLater(row, failures[index], db);
        }
        if (this.transportRecovered) {
          // SMTP is back: what waited for it need not wait out its backoff.
          this.transportRecovered = false;
          await db.query(
            `UPDATE mail_outbox SET next_attempt_at = now()
              WHERE sent_at IS NULL AND failed_at IS NULL AND last_error IS NOT NULL AND next_attempt_at > now()`,
          );
          this.logger.log('SMTP accepts mail again; retrying what waited for it now');
        }
        return rows.length;
      });
      await this.housekeeping();
      return claimed === BATCH;
    } catch (error) {
      // The database is away: nothing can be claimed or marked; try again at the next poll.
      if (Date.now() - this.lastDatabaseWarning > 30_000) {
        this.lastDatabaseWarning = Date.now();
        this.logger.warn(`cannot reach the outbox, retrying: ${describe(error)}`);
      }
      return false;
    }
  }

  private async anyDue(): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now() LIMIT 1`,
    );
    return rows.length > 0;
  }

  private async claim(db: EntityManager): Promise<OutboxRow[]> {
    return db.query(
      `SELECT id, to_address, template, request, lang, vars, attempts, created_at FROM mail_outbox
        WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()
        ORDER BY next_attempt_at, id
        LIMIT $1
        FOR UPDATE SKIP LOCKED`,
      [BATCH],
    );
  }

  /** Resolves once the SMTP server accepted the mail. */
  private async deliver(row: OutboxRow): Promise<void> {
    const template = row.template!;
    try {
      await this.transport.deliver(row.to_address, template, renderMail(template, row.lang, row.vars), row.vars.link);
    } catch (error) {
      this.transportFailing ||= isConnectionFailure(error);
      throw error;
    }
    if (this.transportFailing) {
      this.transportFailing = false;
      this.transportRecovered = true;
    }
  }

  /** Sent: the link goes, so the outbox no longer holds anything that opens the account. */
  private async markSent(row: OutboxRow, db: EntityManager): Promise<void> {
    await db.query(
      `UPDATE mail_outbox SET sent_at = now(), attempts = attempts + 1, vars = vars - 'link', last_error = NULL WHERE id = $1`,
      [row.id],
    );
  }

  /** The handler's writes and the row's completion commit together: exactly once. */
  private async handleRequest(row: OutboxRow, db: EntityManager): Promise<void> {
    const handler = this.mail.handlerFor(row.request!);
    try {
      if (!handler) throw new Error(`no handler for mail request "${row.request}" in this instance`);
      await db.transaction(async (savepoint) => {
        await handler({ address: row.to_address, lang: row.lang }, savepoint);
        await savepoint.query(`UPDATE mail_outbox SET sent_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = $1`, [row.id]);
      });
    } catch (error) {
      await this.retryLater(row, error, db);
    }
  }

  private async retryLater(row: OutboxRow, error: unknown, db: EntityManager): Promise<void> {
    const attempts = row.attempts + 1;
    const permanent = Number((error as { responseCode?: number }).responseCode) >= 500;
    const giveUp =
      Date.now() - new Date(row.created_at).getTime() > GIVE_UP_AFTER_MS || (permanent && attempts >= PERMANENT_FAILURE_ATTEMPTS);
    const delay = Math.min(MAX_BACKOFF_SECONDS, 2 ** (attempts - 1)) * (0.5 + Math.random() / 2);
    const what = `${row.template ? `mail "${row.template}"` : `request "${row.request}"`} #${row.id} to ${row.to_address}`;
    if (giveUp) this.logger.error(`${what} given up after ${attempts} attempts: ${describe(error)}`);
    else this.logger.warn(`${what} failed (attempt ${attempts}), retrying in ${delay.toFixed(1)} s: ${describe(error)}`);
    await db.query(
      `UPDATE mail_outbox
          SET attempts = attempts + 1, last_error = $2, next_attempt_at = now() + make_interval(secs => $3),
              failed_at = CASE WHEN $4 THEN now() END
        WHERE id = $1`,
      [row.id, describe(error).slice(0, 1000), delay, giveUp],
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
      this.logger.warn(
        `${stuck.count} mail(s) waiting longer than ${STUCK_AFTER_MINUTES} minutes (oldest ${stuck.oldest} s): is SMTP reachable?`,
      );
    }
    if (now - this.lastPurge > 3600_000) {
      this.lastPurge = now;
      await this.dataSource.query(`DELETE FROM mail_outbox WHERE coalesce(sent_at, failed_at) < now() - make_interval(days => $1)`, [
        KEEP_DELIVERED_DAYS,
      ]);
    }
  }
}

function isConnectionFailure(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNECTION' || code === 'ETIMEDOUT' || code === 'ESOCKET' || code === 'EDNS';
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
