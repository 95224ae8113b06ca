import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { Transporter } from 'nodemailer';
import type { Lang } from '../http';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { renderMail, TemplateId } from './templates';

/**
 * Sends templated mail. Delivery happens after the caller's transaction has committed and never
 * fails the request: a failed send is logged, and the flows that need a link can resend it.
 * With no SMTP_URL, mail is written to `.data/mail/` and its link is logged instead.
 */
@Injectable()
export class MailService implements OnModuleDestroy {
  private readonly logger = new Logger(MailService.name);
  private readonly transport: Transporter;
  private readonly toFiles: boolean;
  private readonly pending = new Set<Promise<void>>();

  constructor(@InjectConfig() private readonly config: AppConfig) {
    this.toFiles = !config.mail.smtpUrl;
    this.transport = config.mail.smtpUrl
      ? nodemailer.createTransport(config.mail.smtpUrl)
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /** Queues one mail; returns at once. */
  send(to: string, template: TemplateId, lang: Lang, vars: Record<string, string>): void {
    this.track(this.deliver(to, template, lang, vars));
  }

  /**
   * Runs work that may end in a mail after the response has gone: "send a link if this address
   * has an account". The answer then costs the same whether or not it has one, so its timing
   * reveals nothing. A failure is logged; the client was told 202 either way.
   */
  later(description: string, task: () => Promise<void>): void {
    this.track(
      task().catch((error: unknown) =>
        this.logger.error(`${description} failed: ${error instanceof Error ? error.message : String(error)}`),
      ),
    );
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  /** Resolves once every queued task and mail has been handed over (or failed). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async deliver(to: string, template: TemplateId, lang: Lang, vars: Record<string, string>): Promise<void> {
    const content = renderMail(template, lang, vars);
    try {
      // X-Template names the template, so a reader (a mail filter, the tests) need not parse the subject.
      const info = await this.transport.sendMail({ from: this.config.mail.from, to, headers: { 'X-Template': template }, ...content });
      if (this.toFiles) {
        const dir = path.resolve(this.config.mail.outDir);
        await mkdir(dir, { recursive: true });
        const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${template}.eml`);
        await writeFile(file, info.message as Buffer);
        this.logger.log(`mail "${template}" to ${to} written to ${file}${vars.link ? `; link: ${vars.link}` : ''}`);
      } else {
        this.logger.log(`mail "${template}" sent to ${to}`);
      }
    } catch (error) {
      this.logger.error(`mail "${template}" to ${to} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.idle();
    this.transport.close();
  }
}
