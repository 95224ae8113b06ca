import { Client } from 'pg';
import { inject } from 'vitest';
import { PASSWORD, startTestApp, uniqueEmail, type TestApp } from './support/app';
import { recordQueries } from './support/queries';
import { TestSmtpServer, type CapturedMail } from './support/smtp';

interface OutboxRow {
  template: string | null;
  request: string | null;
  lang: string;
  vars: Record<string, string>;
  attempts: number;
  last_error: string | null;
  sent_at: Date | null;
}

/** The outbox rows for one address, oldest first, as the worker left them. */
async function outboxRows(db: Client, address: string) {
  const { rows } = await db.query(
    `SELECT template, request, lang, vars, attempts, last_error, sent_at FROM mail_outbox WHERE to_address = $1 ORDER BY id`,
    [address],
  );
  return rows as OutboxRow[];
}

const isActivation = (mail: CapturedMail) => mail.subject.includes('ktivasi') || mail.subject.includes('Activate');
const register = (t: TestApp, email: string, lang?: string) => {
  const req = t.http.post('/api/users');
  if (lang) req.set('Accept-Language', lang);
  return req.send({ name: 'Outbox', email, password: PASSWORD, confirmation: PASSWORD });
};

let db: Client;
beforeAll(async () => {
  db = new Client({ connectionString: inject('databaseUrl') });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
});

describe('mail outbox: SMTP down during registrations', () => {
  const smtp = new TestSmtpServer();
  let t: TestApp;
  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({}, { smtp });
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  it('delivers every acknowledged registration once SMTP is back, each exactly once, and each link activates', async () => {
    await smtp.stop();
    const emails = Array.from({ length: 20 }, () => uniqueEmail('smtpdown'));
    const answers = await Promise.all(emails.map((email) => register(t, email)));
    expect(answers.map((res) => res.status)).toEqual(emails.map(() => 201));

    // The worker has tried every one of them and been refused: they wait in the outbox.
    const allRefused = async () => {
      for (const email of emails) if (!(await outboxRows(db, email))[0]?.last_error) return false;
      return true;
    };
    await expect.poll(allRefused, { timeout: 15_000 }).toBe(true);
    expect(smtp.mails.filter((mail) => emails.includes(mail.to))).toHaveLength(0);

    const restarted = Date.now();
    await smtp.start();
    for (const email of emails) await smtp.waitFor(email, isActivation, 30_000);
    console.log(`[measured] 20 activation mails all arrived ${Date.now() - restarted} ms after SMTP came back`);
    await t.mailSettled();

    for (const email of emails) {
      expect(smtp.mailsTo(email)).toHaveLength(1);
      const [row] = await outboxRows(db, email);
      expect(row.sent_at).not.toBeNull();
      expect(row.attempts).toBeGreaterThan(1);
      // Delivered: the link is no longer kept anywhere but in the mailbox.
      expect(row.vars.link).toBeUndefined();
      expect(row.vars.name).toBe('Outbox');
    }
    for (const email of emails) {
      const link = new URL(smtp.mailsTo(email)[0].link!);
      await t.http.get(link.pathname).set('Accept', 'application/json').expect(200);
      await t.http.post('/api/users/login').send({ email, password: PASSWORD }).expect(200);
    }
  }, 90_000);
});

describe('mail outbox: requests, limits and language', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ MAIL_PER_ADDRESS_PER_HOUR: '3' });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('queues resend and forgot as request rows that the worker turns into a mail (or nothing)', async () => {
    const email = uniqueEmail('requests');
    const unknown = uniqueEmail('nobody');
    await register(t, email).expect(201);
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    await t.http.post('/api/users/password/forgot').send({ email: unknown }).expect(202);
    await t.http.post('/api/users/activation/resend').send({ email: unknown }).expect(202);
    await t.mailSettled();

    const rows = await outboxRows(db, email);
    expect(rows.map((row) => row.request ?? row.template)).toEqual(['activation', 'password_reset_request', 'password_reset']);
    expect(rows.every((row) => row.sent_at !== null)).toBe(true);
    expect(rows.map((row) => row.vars.link)).toEqual([undefined, undefined, undefined]);
    expect(await outboxRows(db, unknown)).toMatchObject([
      { request: 'password_reset_request', sent_at: expect.any(Date) },
      { request: 'activation_resend', sent_at: expect.any(Date) },
    ]);
    expect(t.smtp.mailsTo(unknown)).toHaveLength(0);
    const reset = await t.smtp.waitFor(email, (mail) => mail.subject === 'Reset password akun Alat Berat');
    expect(reset.link).toContain('/api/users/password/reset?token=');
  });

  it('sends at most MAIL_PER_ADDRESS_PER_HOUR mails of one template to one address; further requests still get 202', async () => {
    const email = uniqueEmail('capped');
    await register(t, email).expect(201); // the registration's activation counts
    for (let i = 0; i < 4; i++) {
      const res = await t.http.post('/api/users/activation/resend').send({ email }).expect(202);
      expect(res.body).toEqual({ error: null, message: expect.any(String), data: null });
    }
    await t.mailSettled();
    const activations = t.smtp.mailsTo(email).filter(isActivation);
    expect(activations).toHaveLength(3);
    // A capped request leaves the last link sent working.
    await t.http
      .get(new URL(activations.at(-1)!.link!).pathname)
      .set('Accept', 'application/json')
      .expect(200);

    // Another template to the same address has its own count.
    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    await t.smtp.waitFor(email, (mail) => mail.subject === 'Reset password akun Alat Berat');
  });

  it('keeps the registration language for later mails, whatever the later request asks', async () => {
    const email = uniqueEmail('english');
    await register(t, email, 'en').expect(201);
    const activation = await t.smtp.waitFor(email, isActivation);
    expect(activation.subject).toBe('Activate your Alat Berat account');
    await t.http.get(new URL(activation.link!).pathname).set('Accept', 'application/json').expect(200);

    await t.http.post('/api/users/password/forgot').send({ email }).expect(202);
    const reset = await t.smtp.waitFor(email, (mail) => mail.subject.includes('eset'));
    expect(reset.subject).toBe('Reset your Alat Berat password');
    expect(reset.text).toContain('We received a request to reset your password');

    // Registered in Indonesian, asked in English: still Indonesian.
    const other = uniqueEmail('indonesian');
    await register(t, other).expect(201);
    await t.http.post('/api/users/password/forgot').set('Accept-Language', 'en').send({ email: other }).expect(202);
    expect((await t.smtp.waitFor(other, (mail) => mail.subject.includes('eset'))).subject).toBe('Reset password akun Alat Berat');
    const [{ lang }] = (await db.query(`SELECT lang FROM users WHERE email = $1`, [email])).rows;
    expect(lang).toBe('en');
  });

  it('does not show the stored language in the user object', async () => {
    const res = await register(t, uniqueEmail('fields'), 'en').expect(201);
    expect(Object.keys(res.body.data[0]).sort()).toEqual(
      ['created_at', 'email', 'gender', 'id', 'is_active', 'name', 'no_tlp', 'role', 'updated_at'].sort(),
    );
  });
});

describe('mail outbox: two instances on one database', () => {
  const smtp = new TestSmtpServer();
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    await smtp.start();
    [a, b] = await Promise.all([startTestApp({}, { smtp }), startTestApp({}, { smtp })]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await smtp.stop();
  });

  it('delivers 30 registrations spread over both: 30 mails, none twice', async () => {
    const emails = Array.from({ length: 30 }, () => uniqueEmail('twoapps'));
    const answers = await Promise.all(emails.map((email, i) => register(i % 2 ? a : b, email)));
    expect(answers.map((res) => res.status)).toEqual(emails.map(() => 201));
    for (const email of emails) await smtp.waitFor(email, isActivation, 15_000);
    await Promise.all([a.mailSettled(), b.mailSettled()]);
    const delivered = smtp.mails.filter((mail) => emails.includes(mail.to));
    expect(delivered).toHaveLength(30);
    expect(new Set(delivered.map((mail) => mail.to)).size).toBe(30);
  }, 60_000);
});

describe('mail outbox: an idle worker', () => {
  const smtp = new TestSmtpServer();
  let t: TestApp;
  beforeAll(async () => {
    await smtp.start();
    t = await startTestApp({}, { smtp });
  });
  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  const DUE = `sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= now()`;

  it('only looks (one statement a poll, no transaction) while nothing is due, and still delivers what comes', async () => {
    const due = async () => ((await db.query(`SELECT count(*)::int AS n FROM mail_outbox WHERE ${DUE}`)).rows[0] as { n: number }).n;
    // Whatever earlier tests left due, this worker delivers first (or it goes back to waiting out a backoff).
    for (let waited = 0; (await due()) > 0 && waited < 10_000; waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await due()).toBe(0);

    // Every outbox statement the app sends, and for each look whether it found a due row: a row
    // of an earlier test file's (the run shares one database) may come due by its backoff meanwhile.
    const sent = (await recordQueries(() => new Promise((resolve) => setTimeout(resolve, 1_100)))) // about 5 polls at 200 ms
      .filter(({ client, text }) => client !== db && text.includes('mail_outbox'))
      .map(({ text, rowCount }) => ({ text, found: (rowCount ?? 0) > 0 }));
    const seen = sent.map(({ text, found }) => `${found ? 'found ' : ''}${text}`).join('\n');
    const looks = sent.filter(({ text }) => text.startsWith('SELECT 1 FROM mail_outbox'));
    const claims = sent.filter(({ text }) => /FOR UPDATE SKIP LOCKED/.test(text));
    expect(looks.length, seen).toBeGreaterThanOrEqual(3);
    // A claim (the transaction) only after a look that found something.
    expect(claims.length, seen).toBeLessThanOrEqual(looks.filter(({ found }) => found).length);

    // A mail queued now is found by the next look and delivered.
    const email = uniqueEmail('idleworker');
    await register(t, email).expect(201);
    await smtp.waitFor(email, isActivation, 5_000);
  });
});
