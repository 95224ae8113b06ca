import { Injectable, Logger } from '@nestjs/common';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Transporter } from 'nodemailer';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import type { MailContent, TemplateId } from './templates';

/**
 * Hands one rendered mail to SMTP and resolves only once the server accepted it. With no
 * SMTP_URL, mail is written to `.data/mail/` and its link is logged instead.
 */
@Injectable()
export class MailTransport {
  private readonly logger = new Logger('Mail');
  private transport?: Promise<Transporter>;
  private readonly toFiles: boolean;

  constructor(@InjectConfig() private readonly config: AppConfig) {
    this.toFiles = !config.mail.smtpUrl;
  }

  /** nodemailer is loaded with the first mail, not at start-up (40 ms of it, issue 12). */
  private async open(): Promise<Transporter> {
    const { createTransport } = (await import('nodemailer')).default;
    // One connection per mail (no pool): nothing is held open between mails, and a lease of the
    // outbox (two minutes) always outlasts these timeouts.
    return this.config.mail.smtpUrl
      ? createTransport({ url: this.config.mail.smtpUrl, connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 })
      : createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  async deliver(to: string, name: TemplateId, content: MailContent, link?: string): Promise<void> {
    // A failed load is not kept: the outbox's next attempt tries again.
    const transport = await (this.transport ??= this.open().catch((error: unknown) => {
      this.transport = undefined;
      throw error;
    }));
    // X-Template names the template, so a reader (a mail filter, the tests) need not parse the subject.
    const info = await transport.sendMail({ from: this.config.mail.from, to, headers: { 'X-Template': name }, ...content });
    if (this.toFiles) {
      const dir = path.resolve(this.config.mail.outDir);
      await mkdir(dir, { recursive: true });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${name}.eml`);
      await writeFile(file, info.message as Buffer);
      this.logger.log(`mail "${name}" to ${to} written to ${file}${link ? `; link: ${link}` : ''}`);
    } else {
      this.logger.log(`mail "${name}" sent to ${to}`);
    }
  }

  /** Called by the worker once its last mail is out. */
  close(): void {
    void this.transport?.then(
      (transport) => transport.close(),
      () => undefined,
    );
  }
}
