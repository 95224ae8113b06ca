import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { TemplateId } from '../../src/mail/templates';

export interface CapturedMail {
  to: string;
  /** The template the service rendered it from (its X-Template header): what tests match on. */
  kind?: TemplateId;
  subject: string;
  text: string;
  html: string;
  /** The first http(s) link in the text part. */
  link?: string;
}

/** Which mails a look-up considers. */
export interface MailQuery {
  /** Only mails of this template. */
  kind?: TemplateId;
  /** Only mails that arrived after this mark (`smtp.mark()`, i.e. the count received before). */
  after?: number;
  /** Any further condition. */
  match?: (mail: CapturedMail) => boolean;
  timeoutMs?: number;
}

/** A real SMTP server in the test process: the app sends over the wire, tests read what arrived. */
export class TestSmtpServer {
  readonly mails: CapturedMail[] = [];
  private readonly waiters = new Set<() => void>();
  private server?: SMTPServer;
  port = 0;

  /** Listens on the port it had before, if it was started (and stopped) already: a restart. */
  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, callback) => {
        simpleParser(stream)
          .then((parsed) => {
            const text = parsed.text ?? '';
            const to = Array.isArray(parsed.to) ? parsed.to[0]?.text : parsed.to?.text;
            const kind = parsed.headers.get('x-template');
            this.mails.push({
              to: to ?? '',
              kind: typeof kind === 'string' ? (kind as TemplateId) : undefined,
              subject: parsed.subject ?? '',
              text,
              html: typeof parsed.html === 'string' ? parsed.html : '',
              link: /https?:\/\/\S+/.exec(text)?.[0],
            });
            this.waiters.forEach((wake) => wake());
            callback();
          })
          .catch(callback);
      },
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.server.once('error', reject);
      this.server!.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.server.address() as { port: number }).port;
    return this;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.port}`;
  }

  /** A cursor for `after`: mails received from now on are "after" it. */
  mark(): number {
    return this.mails.length;
  }

  /**
   * Waits for a mail to `to`, newest first: `waitFor(to, { kind: 'activation', after: mark })`.
   * A function as the second argument is the older form of `{ match }`.
   */
  async waitFor(
    to: string,
    query: MailQuery | ((mail: CapturedMail) => boolean) = {},
    timeoutMs = typeof query === 'object' ? (query.timeoutMs ?? 5000) : 5000,
  ): Promise<CapturedMail> {
    const options = typeof query === 'function' ? { match: query } : query;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.mailsTo(to, options).pop();
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) {
        const wanted = [options.kind && `kind ${options.kind}`, options.after !== undefined && `after mail #${options.after}`]
          .filter(Boolean)
          .join(', ');
        throw new Error(`no mail to ${to}${wanted ? ` (${wanted})` : ''} within ${timeoutMs} ms (got ${this.mails.length} in all)`);
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Every mail to `to` received so far (oldest first), narrowed by `query`. */
  mailsTo(to: string, query: Omit<MailQuery, 'timeoutMs'> = {}): CapturedMail[] {
    const address = to.toLowerCase();
    return this.mails.filter(
      (mail, index) =>
        mail.to.toLowerCase().includes(address) &&
        (query.kind === undefined || mail.kind === query.kind) &&
        (query.after === undefined || index >= query.after) &&
        (query.match === undefined || query.match(mail)),
    );
  }

  /** Closes the port: the app's deliveries fail (connection refused) until `start()` again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
