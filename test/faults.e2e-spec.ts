import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { inject } from 'vitest';
import { DataSource } from 'typeorm';
import { DATABASE_POOL, driverPool } from '../src/database/data-source';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';
import { PASSWORD, registerActiveUser, startTestApp, uniqueEmail, type TestApp } from './support/app';
import { refresh } from './support/accounts';
import { buildService, postmasterPid, startService, type ServiceProcess } from './support/service';
import { TestSmtpServer, type CapturedMail } from './support/smtp';

// Faults are injected into real things: the compiled service killed or stopped as a child
// process, the SMTP server closed, an embedded PostgreSQL stopped and hung under a running app.

const isActivation = (mail: CapturedMail) => mail.subject.includes('ktivasi');
const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const registration = (email: string) => json({ name: 'Fault', email, password: PASSWORD, confirmation: PASSWORD });

describe('the compiled service', () => {
  const smtp = new TestSmtpServer();
  const services: ServiceProcess[] = [];
  let db: Client;
  beforeAll(async () => {
    buildService();
    await smtp.start();
    db = new Client({ connectionString: inject('databaseUrl') });
    await db.connect();
  }, 180_000);
  afterAll(async () => {
    await Promise.all(services.map((service) => service.dispose()));
    await smtp.stop();
    await db?.end();
  });
  const start = async (env: Record<string, string> = {}) => {
    const service = await startService({ DATABASE_URL: inject('databaseUrl'), SMTP_URL: smtp.url, ...env });
    services.push(service);
    return service;
  };

  it('delivers every acknowledged registration after a SIGKILL right after the 201s, once restarted', async () => {
    await smtp.stop(); // nothing can leave while the first process lives
    const first = await start();
    const emails = Array.from({ length: 12 }, () => uniqueEmail('killed'));
    const answers = await Promise.all(emails.map((email) => fetch(`${first.url}/api/users`, registration(email))));
    first.child.kill('SIGKILL');
    expect(answers.map((res) => res.status)).toEqual(emails.map(() => 201));
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

    await smtp.start();
    await start();
    for (const email of emails) await smtp.waitFor(email, isActivation, 150_000);
    await expect
      .poll(
        async () =>
          (await db.query(`SELECT count(*)::int AS n FROM mail_outbox WHERE to_address = ANY($1) AND sent_at IS NULL`, [emails])).rows[0].n,
        {
          timeout: 10_000,
        },
      )
      .toBe(0);
    for (const email of emails) expect(smtp.mailsTo(email)).toHaveLength(1);
  }, 200_000);

  it('answers every login in flight at SIGTERM with 200, refuses new connections, and exits 0 within 10 s', async () => {
    // Cost 9: twenty logins queue on the two-thread hashing pool for a few seconds on a busy machine,
    // yet finish well inside the 10 s drain (at cost 10 they took 7 s here while others shared the cores).
    const service = await start({ BCRYPT_COST: '9', LOG_LEVEL: 'info' });
    const email = uniqueEmail('draining');
    expect((await fetch(`${service.url}/api/users`, registration(email))).status).toBe(201);
    const link = new URL((await smtp.waitFor(email, isActivation, 15_000)).link!);
    expect((await fetch(`${service.url}${link.pathname}`, { headers: { accept: 'application/json' } })).status).toBe(200);

    let answered = 0;
    const logins = Array.from({ length: 20 }, () =>
      fetch(`${service.url}/api/users/login`, json({ email, password: PASSWORD })).then(async (res) => {
        answered += 1;
        return { status: res.status, body: (await res.json()) as { access_token?: string } };
      }),
    );
    // All twenty connections accepted by the service (not just queued by the kernel): in flight.
    const port = Number(new URL(service.url).port);
    await expect.poll(() => acceptedConnections(port), { timeout: 10_000 }).toBeGreaterThanOrEqual(20);
    const inFlight = 20 - answered;
    expect(inFlight).toBeGreaterThan(0);
    const signalled = Date.now();
    service.child.kill('SIGTERM');
    await expect.poll(() => service.output(), { timeout: 5_000 }).toContain('SIGTERM: no new connections');
    await expect(
      new Promise((resolve, reject) => connect(port, '127.0.0.1').once('connect', resolve).once('error', reject)),
    ).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    const results = await Promise.all(logins);
    const exit = await service.exited;
    const took = Date.now() - signalled;
    console.log(`[measured] SIGTERM with ${inFlight} logins still in flight: exited after ${took} ms`);
    expect(results.map((result) => result.status)).toEqual(results.map(() => 200));
    expect(results.every((result) => typeof result.body.access_token === 'string')).toBe(true);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(took).toBeLessThan(10_000);
  }, 60_000);
  // The default `npm start`: no DATABASE_URL, so the service starts its embedded PostgreSQL. That
  // server used to stop at the first signal (the package's own exit hook, or a Ctrl-C reaching it
  // in the same process group), under the requests being drained.
  it.each([
    ['SIGTERM to the service', 'SIGTERM', false],
    ['Ctrl-C (SIGINT to the whole process group)', 'SIGINT', true],
  ] as const)(
    'on the embedded database, %s: the registrations in flight get 201, PostgreSQL stops last, and each mail goes once',
    async (_, signal, group) => {
      const env = { SMTP_URL: smtp.url, BCRYPT_COST: '11' };
      const service = await startService(env, { processGroup: group });
      services.push(service);
      const postgres = postmasterPid(service.dataDir);
      expect(postgres).toBeGreaterThan(0);
      const emails = Array.from({ length: 4 }, () => uniqueEmail('embedded-stop'));
      const statuses = emails.map((email) =>
        fetch(`${service.url}/api/users`, registration(email)).then(
          (res) => res.status,
          () => 0,
        ),
      );
      await expect.poll(() => acceptedConnections(Number(new URL(service.url).port)), { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
      if (group) process.kill(-service.child.pid!, 'SIGINT');
      else service.child.kill('SIGTERM');

      expect(await Promise.all(statuses)).toEqual([201, 201, 201, 201]);
      expect(await service.exited).toEqual({ code: 0, signal: null });
      expect(postmasterPid(service.dataDir)).toBeUndefined();

      // Started again on the same data: what the outbox had not sent goes now, and nothing twice.
      const again = await startService(env, { dataDir: service.dataDir });
      services.push(again);
      for (const email of emails) await smtp.waitFor(email, isActivation, 30_000);
      await new Promise((resolve) => setTimeout(resolve, 1_500)); // a duplicate would be on its way by now
      for (const email of emails) expect(smtp.mailsTo(email)).toHaveLength(1);
    },
    120_000,
  );
});

describe('PostgreSQL away under a running app', () => {
  let dir: string;
  let port: number;
  let database: EmbeddedDatabase;
  let t: TestApp;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'alat-berat-away-'));
    port = await freePort();
    database = await startEmbeddedPostgres(dir, undefined, { port });
    t = await startTestApp({ DATABASE_URL: database.url });
  }, 60_000);
  afterAll(async () => {
    await t?.close().catch(() => undefined);
    await database?.stop().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const expect503 = (res: { status: number; body: unknown }) => {
    expect(res.status).toBe(503);
    expect((res.body as { error: string[] }).error).toEqual(['Database tidak tersedia']);
  };

  it('answers 503, not 401, to a valid token while the database is stopped, and the token works again after', async () => {
    const user = await registerActiveUser(t);
    const bearer = { Authorization: `Bearer ${user.accessToken}` };
    await t.http.get('/api/users/me').set(bearer).expect(200);

    await database.stop();
    const asked = Date.now();
    const me = await t.http.get('/api/users/me').set(bearer);
    const took = Date.now() - asked;
    console.log(`[measured] /me with the database stopped: ${me.status} after ${took} ms`);
    expect503(me);
    expect(me.body).toEqual({ error: ['Database tidak tersedia'], message: 'Proses gagal', data: null });
    expect(took).toBeLessThan(5_000);
    expect503(await t.http.post('/api/users/logout').set(bearer).send({}));
    expect503(await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }));
    expect503(await refresh(t, user.refreshToken));
    expect503(await t.http.post('/api/users').send({ name: 'Away', email: uniqueEmail(), password: PASSWORD, confirmation: PASSWORD }));
    // Not a 202 that drops the work: the request could not be queued.
    expect503(await t.http.post('/api/users/password/forgot').send({ email: user.email }));
    expect503(await t.http.post('/api/users/activation/resend').send({ email: user.email }));

    database = await startEmbeddedPostgres(dir, undefined, { port });
    await expect.poll(async () => (await t.http.get('/api/users/me').set(bearer)).status, { timeout: 15_000 }).toBe(200);
    // The refused refresh rotated nothing: the token the client still holds works.
    expect((await refresh(t, user.refreshToken)).status).toBe(200);
  }, 60_000);

  it('answers 503 within 5 s while the database hangs (every PostgreSQL process stopped), and recovers', async () => {
    const user = await registerActiveUser(t);
    const bearer = { Authorization: `Bearer ${user.accessToken}` };
    const postmaster = Number((await readFile(path.join(dir, 'postgres', 'postmaster.pid'), 'utf8')).split('\n')[0]);
    const processes = [postmaster, ...childrenOf(postmaster)];
    processes.forEach((pid) => process.kill(pid, 'SIGSTOP'));
    try {
      for (const send of [
        () => t.http.get('/api/users/me').set(bearer),
        () => t.http.post('/api/users/password/forgot').send({ email: user.email }),
        () => refresh(t, user.refreshToken),
      ]) {
        const asked = Date.now();
        const res = await send();
        const took = Date.now() - asked;
        console.log(`[measured] with the database hung: ${res.status} after ${took} ms`);
        expect503(res);
        expect(took).toBeLessThan(5_000);
      }
    } finally {
      processes.forEach((pid) => process.kill(pid, 'SIGCONT'));
    }
    await expect.poll(async () => (await t.http.get('/api/users/me').set(bearer)).status, { timeout: 15_000 }).toBe(200);
    // The token the client still holds works: unrotated, or (had the stopped server run the
    // statement once it resumed, after the client gave up) rotated moments ago, within the grace
    // window, which hands back the same successor.
    expect((await refresh(t, user.refreshToken)).status).toBe(200);
  }, 60_000);
});

describe('every pooled connection taken', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers 503 within 5 s (a request waits 2 s for a connection), and serves again once one is free', async () => {
    const user = await registerActiveUser(t);
    const bearer = { Authorization: `Bearer ${user.accessToken}` };
    await t.http.get('/api/users/me').set(bearer).expect(200);

    // The app's own pool, every one of its connections checked out and held, as a burst of slow
    // requests (or a leak) would hold them.
    const pool = driverPool(t.app.get(DataSource));
    const held = await Promise.all(Array.from({ length: DATABASE_POOL.max }, () => pool.connect()));
    try {
      expect(pool.totalCount).toBe(DATABASE_POOL.max);
      for (const send of [
        () => t.http.get('/api/users/me').set(bearer),
        () => t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }),
        () => refresh(t, user.refreshToken),
      ]) {
        const asked = Date.now();
        const res = await send();
        const took = Date.now() - asked;
        console.log(`[measured] with the pool exhausted: ${res.status} after ${took} ms`);
        // The route's own failure message ("Login gagal" on login), the reason the database's.
        expect(res.body).toMatchObject({ error: ['Database tidak tersedia'], data: null });
        expect(res.status).toBe(503);
        expect(took).toBeGreaterThanOrEqual(DATABASE_POOL.connectionTimeoutMillis - 100);
        expect(took).toBeLessThan(5_000);
      }
    } finally {
      held.forEach((client) => client.release());
    }
    await t.http.get('/api/users/me').set(bearer).expect(200);
    // The refused refresh rotated nothing: the token the client holds works.
    expect((await refresh(t, user.refreshToken)).status).toBe(200);
  }, 30_000);
});

/**
 * Established connections to `port` that a process has accepted, from /proc/net/tcp{,6} (a
 * connection still in the kernel's accept queue has no inode yet).
 */
function acceptedConnections(port: number): number {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  // The service listens on :: (dual stack): IPv4 clients show up in tcp6.
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1))
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[1]?.endsWith(local) && fields[3] === '01' && fields[9] !== '0').length;
}

/** The pids whose parent is `pid` (PostgreSQL's backends and helpers), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => {
      try {
        // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after the last ')'.
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}
