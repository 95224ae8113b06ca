import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { amqpAvailable, BrokerProxy, EventCollector, uniqueExchange, type ReceivedEvent } from './support/amqp';
import { PASSWORD, registerActiveUser, startTestApp, uniqueEmail, type TestApp } from './support/app';
import { UsersService } from '../src/users/users.service';
import { bearer } from './support/accounts';

type Account = Awaited<ReturnType<typeof registerActiveUser>>;
const CLOUDEVENT_KEYS = ['data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type'];

/** The activation token of the user's link: it must appear in no event. */
function linkTokens(t: TestApp, email: string): string[] {
  return t.smtp.mails.filter((mail) => mail.to.includes(email) && mail.link).map((mail) => new URL(mail.link!).pathname.split('/').pop()!);
}

function keysOf(value: unknown): string[] {
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
}

/** No field named like a secret, no bcrypt hash, no JWT, and none of the given secrets anywhere in the message. */
function expectNoSecrets(events: ReceivedEvent[], secrets: string[]): void {
  for (const event of events) {
    for (const key of keysOf(event.body)) expect(key).not.toMatch(/password|hash|token|secret/i);
    expect(event.raw).not.toMatch(/\$2[aby]\$|eyJ[\w-]+\.eyJ/);
    for (const secret of secrets) expect(event.raw).not.toContain(secret);
  }
}

describe.skipIf(!amqpAvailable)('events: published to RabbitMQ as CloudEvents, once, in order, without secrets', () => {
  let t: TestApp;
  let collector: EventCollector;
  const exchange = uniqueExchange('events');

  beforeAll(async () => {
    collector = await new EventCollector(exchange).start();
    t = await startTestApp({ AMQP_URL: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672', EVENTS_EXCHANGE: exchange });
  });
  afterAll(async () => {
    await t?.close();
    await collector?.close();
  });

  it('register, activate, log in, fail a login, update, log out and delete: each event arrives once, in order', async () => {
    const user = await registerActiveUser(t);
    await t.http.post('/api/users/login').send({ email: user.email, password: 'salah-sekali' }).expect(401);
    // The failed login is written on its own, after the answer: wait for it before the next change.
    await collector.waitFor(() => collector.forUser(user.id).some((e) => e.body.type === 'user.login_failed'));
    await t.http.put(`/api/users/${user.id}`).set(bearer(user)).send({ name: 'Wanto Baru', no_tlp: '081234567890' }).expect(200);
    const second = await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }).expect(200);
    await t.http
      .post('/api/users/logout')
      .set(bearer({ accessToken: second.body.access_token }))
      .send({})
      .expect(200);
    await t.http.delete(`/api/users/${user.id}`).set(bearer(user)).expect(200);

    const expected = [
      'user.registered',
      'user.activated',
      'user.logged_in',
      'user.login_failed',
      'user.updated',
      'user.logged_in',
      'session.revoked',
      'session.revoked',
      'user.deleted',
    ];
    await collector.waitFor(() => collector.forUser(user.id).length >= expected.length);
    const events = collector.forUser(user.id);
    expect(events.map((e) => e.body.type)).toEqual(expected);
    expect(new Set(events.map((e) => e.body.id)).size).toBe(events.length);

    for (const event of events) {
      expect(Object.keys(event.body).sort()).toEqual(CLOUDEVENT_KEYS);
      expect(event.body).toMatchObject({
        specversion: '1.0',
        source: t.config.auth.issuer,
        subject: user.id,
        datacontenttype: 'application/json',
      });
      expect(event.body.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Date(event.body.time).toISOString()).toBe(event.body.time);
      expect(event.routingKey).toBe(event.body.type);
      expect(event.contentType).toBe('application/cloudevents+json');
      expect(event.persistent).toBe(true);
      expect(event.body.data.user_id).toBe(user.id);
    }
    const byType = (type: string) => events.filter((e) => e.body.type === type).map((e) => e.body.data);
    expect(byType('user.registered')[0]).toEqual({
      user_id: user.id,
      name: 'Wanto',
      email: user.email,
      no_tlp: null,
      gender: null,
      role: 'customer',
    });
    expect(byType('user.login_failed')[0]).toEqual({ user_id: user.id, reason: 'invalid_password' });
    expect(byType('user.updated')[0]).toEqual({ user_id: user.id, changes: { name: 'Wanto Baru', no_tlp: '081234567890' } });
    expect(byType('user.logged_in')[1]).toEqual({ user_id: user.id, session_id: expect.any(String) });
    const [logout, deleted] = byType('session.revoked');
    expect(logout).toEqual({ user_id: user.id, session_ids: [byType('user.logged_in')[1].session_id], reason: 'logout' });
    expect(deleted).toEqual({ user_id: user.id, session_ids: [byType('user.logged_in')[0].session_id], reason: 'deleted' });
    expect(byType('user.deleted')[0]).toEqual({ user_id: user.id });
    expectNoSecrets(events, [user.password, user.accessToken, user.refreshToken, second.body.access_token, ...linkTokens(t, user.email)]);
  });

  it('a role change and a password change end sessions, and say so', async () => {
    const user = await registerActiveUser(t);
    const admin = await registerActiveUser(t);
    await t.app.get(UsersService).promoteOrCreateAdmin(admin.email);
    const adminLogin = await t.http.post('/api/users/login').send({ email: admin.email, password: PASSWORD }).expect(200);
    const other = await t.http.post('/api/users/login').send({ email: user.email, password: PASSWORD }).expect(200);
    const newPassword = 'rahasiaBaru456';
    await t.http
      .put(`/api/users/${user.id}`)
      .set(bearer(user))
      .send({ password: newPassword, confirmation: newPassword, current_password: PASSWORD })
      .expect(200);
    const again = await t.http.post('/api/users/login').send({ email: user.email, password: newPassword }).expect(200);
    await t.http
      .put(`/api/users/${user.id}`)
      .set(bearer({ accessToken: adminLogin.body.access_token }))
      .send({ role: 'admin' })
      .expect(200);

    await collector.waitFor(() => collector.forUser(user.id).some((e) => e.body.type === 'user.role_changed'));
    const events = collector.forUser(user.id).filter((e) => e.body.type !== 'user.logged_in');
    expect(events.map((e) => e.body.type).slice(2)).toEqual([
      'user.password_changed',
      'session.revoked',
      'session.revoked',
      'user.role_changed',
    ]);
    const data = events.slice(2).map((e) => e.body.data);
    expect(data[0]).toEqual({ user_id: user.id, via: 'self' });
    expect(data[1]).toMatchObject({ reason: 'password_change', session_ids: [other.body.data[0] && expect.any(String)] });
    expect(data[2]).toMatchObject({ reason: 'role_change' });
    expect((data[2].session_ids as string[]).length).toBe(2);
    expect(data[3]).toEqual({ user_id: user.id, role: 'admin', previous_role: 'customer' });
    expectNoSecrets(events, [
      PASSWORD,
      newPassword,
      user.accessToken,
      user.refreshToken,
      other.body.access_token,
      again.body.refresh_token,
    ]);
  });
});

// Its own top-level block: while another app with AMQP_URL runs on this database, its relay would
// publish these rows (every instance relays the one shared log), and the outage would go unseen.
describe.skipIf(!amqpAvailable)('events with the broker away', () => {
  let proxy: BrokerProxy;
  let t2: TestApp;
  let collector2: EventCollector;
  const exchange2 = uniqueExchange('outage');

  beforeAll(async () => {
    collector2 = await new EventCollector(exchange2).start();
    proxy = await new BrokerProxy().reserve();
    t2 = await startTestApp({ AMQP_URL: proxy.url, EVENTS_EXCHANGE: exchange2 });
  });
  afterAll(async () => {
    await t2?.close();
    await proxy?.down();
    await collector2?.close();
  });

  it('registrations succeed while the broker is unreachable, and every event arrives once it is back', async () => {
    const register = (email: string) =>
      t2.http.post('/api/users').send({ name: 'Wanto', email, password: PASSWORD, confirmation: PASSWORD }).expect(201);
    const first = await Promise.all([1, 2, 3, 4, 5].map(() => register(uniqueEmail('away'))));
    const ids = first.map((res) => res.body.data[0].id as string);
    const pending = await t2.app
      .get(DataSource)
      .query(`SELECT count(*)::int AS n FROM events WHERE user_id = ANY($1) AND published_at IS NULL`, [ids]);
    expect(pending[0].n).toBe(5);
    expect(collector2.events).toEqual([]);

    await proxy.up();
    await collector2.waitFor((events) => ids.every((id) => events.some((e) => e.body.subject === id)));

    // Cut the connection the relay holds, register more while the port is closed, then bring it back.
    await proxy.down();
    const later = await Promise.all([1, 2, 3].map(() => register(uniqueEmail('cut'))));
    ids.push(...later.map((res) => res.body.data[0].id as string));
    await proxy.up();
    await collector2.waitFor((events) => ids.every((id) => events.some((e) => e.body.subject === id)));

    // Marked published once confirmed (the message may arrive just before the mark commits).
    const db = t2.app.get(DataSource);
    const unpublished = async () =>
      (await db.query(`SELECT count(*)::int AS n FROM events WHERE user_id = ANY($1) AND published_at IS NULL`, [ids]))[0].n as number;
    while ((await unpublished()) > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const registered = collector2.events.filter((e) => ids.includes(e.body.subject!));
    expect(registered.map((e) => e.body.type)).toEqual(ids.map(() => 'user.registered'));
    expect(new Set(registered.map((e) => e.body.id)).size).toBe(ids.length);
  });
});

describe('route 21: a user’s security history', () => {
  let t: TestApp;
  let db: DataSource;
  let alice: Account;
  let bob: Account;
  let admin: Account;

  beforeAll(async () => {
    t = await startTestApp();
    db = t.app.get(DataSource);
    [alice, bob, admin] = await Promise.all([registerActiveUser(t), registerActiveUser(t), registerActiveUser(t)]);
    await t.app.get(UsersService).promoteOrCreateAdmin(admin.email);
    const login = await t.http.post('/api/users/login').send({ email: admin.email, password: PASSWORD }).expect(200);
    admin = { ...admin, accessToken: login.body.access_token };
  });
  afterAll(async () => {
    await t.close();
  });

  it('shows the caller their own events, newest first, with address and user agent, in the envelope with meta', async () => {
    await t.http
      .post('/api/users/login')
      .set('User-Agent', 'HistoryTest/1.0')
      .send({ email: alice.email, password: 'salah-sekali' })
      .expect(401);
    await t.http.post('/api/users/login').set('User-Agent', 'HistoryTest/1.0').send({ email: alice.email, password: PASSWORD }).expect(200);
    // The failed login's event is written after its answer: poll until it is there.
    const history = () => t.http.get(`/api/users/${alice.id}/events`).set(bearer(alice)).expect(200);
    let res = await history();
    while (res.body.meta.total < 5) res = await history();
    expect(Object.keys(res.body).sort()).toEqual(['data', 'error', 'message', 'meta']);
    expect(res.body.error).toBeNull();
    expect(res.body.meta).toEqual({ page: 1, limit: 20, total: 5 });
    const types = res.body.data.map((e: { type: string }) => e.type);
    expect(types.slice(0, 2).sort()).toEqual(['user.logged_in', 'user.login_failed']);
    expect(types.slice(2)).toEqual(['user.logged_in', 'user.activated', 'user.registered']);
    for (const event of res.body.data) {
      expect(Object.keys(event).sort()).toEqual(['created_at', 'data', 'id', 'ip', 'type', 'user_agent']);
      expect(event.data.user_id).toBe(alice.id);
    }
    const login = res.body.data.find(
      (e: { type: string; user_agent: string }) => e.type === 'user.logged_in' && e.user_agent === 'HistoryTest/1.0',
    );
    expect(login).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1/) });
    const times = res.body.data.map((e: { created_at: string }) => e.created_at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(res.body)).not.toContain(PASSWORD);
  });

  it('pages like the user list, clamping limit to 100', async () => {
    const page = await t.http.get(`/api/users/${alice.id}/events?page=2&limit=2`).set(bearer(alice)).expect(200);
    expect(page.body.meta).toEqual({ page: 2, limit: 2, total: 5 });
    expect(page.body.data).toHaveLength(2);
    const clamped = await t.http.get(`/api/users/${alice.id}/events?limit=500`).set(bearer(alice)).expect(200);
    expect(clamped.body.meta.limit).toBe(100);
    await t.http.get(`/api/users/${alice.id}/events?page=abc`).set(bearer(alice)).expect(400);
  });

  it('refuses another customer (403), gives an admin anyone, 404 for an unknown or deleted user, 400 for a bad id', async () => {
    const other = await t.http.get(`/api/users/${alice.id}/events`).set(bearer(bob)).expect(403);
    expect(other.body).toEqual({ error: ['Akses ditolak'], message: 'Proses gagal', data: null });
    const byAdmin = await t.http.get(`/api/users/${bob.id}/events`).set(bearer(admin)).expect(200);
    expect(byAdmin.body.data.map((e: { type: string }) => e.type)).toContain('user.registered');
    const unknown = await t.http.get(`/api/users/${randomUUID()}/events`).set(bearer(admin)).expect(404);
    expect(unknown.body.error).toEqual(['User tidak ditemukan']);
    await t.http.get('/api/users/not-a-uuid/events').set(bearer(admin)).expect(400);
    await t.http.get(`/api/users/${bob.id}/events`).expect(401);

    await t.http.delete(`/api/users/${bob.id}`).set(bearer(admin)).expect(200);
    await t.http.get(`/api/users/${bob.id}/events`).set(bearer(admin)).expect(404);
    // Still in the log, for the audit.
    const kept = await db.query(`SELECT type FROM events WHERE user_id = $1 ORDER BY seq`, [bob.id]);
    expect(kept.map((row: { type: string }) => row.type)).toContain('user.deleted');
  });
});
