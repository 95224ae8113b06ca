import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import type { TemplateId } from './templates';

/** What a request row carries to its handler: the address typed in the request and its language. */
export interface MailRequest {
  address: string;
  lang: Lang;
}

/**
 * Decides, in the worker's transaction, which mail (if any) a request leads to, and writes it
 * with `send(…, manager)`. Registered by the module that knows users; mail/ knows only addresses.
 */
export type MailRequestHandler = (request: MailRequest, manager: EntityManager) => Promise<void>;

/**
 * The outbox's front door. `send` writes a mail in the caller's transaction, so the mail exists
 * exactly when the change that causes it committed; `request` writes work whose lookup must not
 * run in the request (resend, forgot: same answer and timing whatever the address). The worker
 * (outbox.worker.ts) delivers both.
 */
@Injectable()
export class MailService {
  private readonly handlers = new Map<string, MailRequestHandler>();
  /** Database time at boot: `idle()` waits for the rows written since then. */
  private since?: Promise<string>;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * Queues one mail in the caller's transaction. Answers false, writing nothing, when the address
   * already got MAIL_PER_ADDRESS_PER_HOUR mails of this template in the last hour.
   */
  async send(to: string, template: TemplateId, lang: Lang, vars: Record<string, string>, manager: EntityManager): Promise<boolean> {
    if (!(await this.allows(to, template, manager))) return false;
    await manager.query(`INSERT INTO mail_outbox (to_address, template, lang, vars) VALUES ($1, $2, $3, $4)`, [
      to,
      template,
      lang,
      JSON.stringify(vars),
    ]);
    return true;
  }

  /**
   * True while `to` may get another mail of this template this hour. Serialised per address and
   * template until the transaction ends, so simultaneous requests cannot both pass the last slot.
   * Check it before issuing a link, so a capped request does not invalidate the link already sent.
   */
  async allows(to: string, template: TemplateId, manager: EntityManager): Promise<boolean> {
    const limit = this.config.mail.perAddressPerHour;
    if (limit === 0) return true;
    await manager.query(`SELECT pg_advisory_xact_lock(hashtext('mail_outbox:' || $1 || ':' || $2))`, [to, template]);
    const [{ count }] = await manager.query(
      `SELECT count(*)::int AS count FROM mail_outbox
        WHERE to_address = $1 AND template = $2 AND created_at > now() - interval '1 hour'`,
      [to, template],
    );
    return count < limit;
  }

  /** Queues a request for the worker; it fails (and the caller answers 503) while the database is away. */
  async request(kind: string, address: string, lang: Lang, manager: EntityManager = this.dataSource.manager): Promise<void> {
    await manager.query(`INSERT INTO mail_outbox (to_address, request, lang) VALUES ($1, $2, $3)`, [address, kind, lang]);
  }

  /** Called at module init by whoever owns the request kind. */
  registerRequestHandler(kind: string, handler: MailRequestHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a handler for mail request "${kind}" is already registered`);
    this.handlers.set(kind, handler);
  }

  handlerFor(kind: string): MailRequestHandler | undefined {
    return this.handlers.get(kind);
  }

  /** Remembers the database's clock at boot (the worker calls this before its first poll). */
  markStart(): void {
    if (this.since) return;
    const since = this.dataSource.query(`SELECT now()::text AS now`).then((rows: { now: string }[]) => rows[0].now);
    // The database may be away right now: ask again next time rather than crash on an unhandled rejection.
    since.catch(() => {
      if (this.since === since) this.since = undefined;
    });
    this.since = since;
  }

  /**
   * Resolves once no row written since this instance started is waiting: every mail and request
   * queued so far (by any instance sharing the outbox) is delivered or given up. For tests and tools.
   */
  async idle(timeoutMs = 20_000): Promise<void> {
    this.markStart();
    const since = await this.since!;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = await this.dataSource.query(
        `SELECT 1 FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL AND created_at >= $1::timestamptz LIMIT 1`,
        [since],
      );
      if (!rows.length) return;
      if (Date.now() > deadline) throw new Error(`mail outbox still has undelivered rows after ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
