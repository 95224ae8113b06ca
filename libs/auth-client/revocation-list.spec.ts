import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { connect, type ChannelModel, type ConfirmChannel } from 'amqplib';
import { startGuardedApp, waitFor, type GuardedApp } from '../../test/support/guarded-app';
import { rabbitmqAvailable, TEST_AMQP_URL } from '../../test/support/rabbitmq';
import { RevocationList } from './revocation-list';
import { createTestIssuer, type TestIssuer } from './testing';

const seconds = (ms: number) => Math.floor(ms / 1000);

describe('RevocationList (in memory)', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses listed sessions until the longest token lifetime has passed, then forgets them', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const list = new RevocationList({ maxTokenLifetimeSeconds: 900, clockToleranceSeconds: 5 });
    expect(list.apply({ type: 'session.revoked', data: { user_id: 'u1', session_ids: ['s1', 's2'], reason: 'logout' } })).toBe(true);
    expect(list.isRevoked({ sub: 'u1', sid: 's1', iat: seconds(Date.now()) })).toBe(true);
    expect(list.isRevoked({ sub: 'u1', sid: 's3', iat: seconds(Date.now()) })).toBe(false);

    vi.advanceTimersByTime(904_000);
    expect(list.isRevoked({ sid: 's2' })).toBe(true);
    vi.advanceTimersByTime(2_000);
    expect(list.isRevoked({ sid: 's2' })).toBe(false);
    list.apply({ type: 'user.updated', data: { user_id: 'u2' } }); // any event sweeps what is due
    expect(list.size).toBe(0);
  });

  it("refuses a user's tokens issued at or before the event's second, not after", () => {
    const list = new RevocationList();
    const time = new Date(Date.now() - 10_000);
    const data = { user_id: 'u1', role: 'admin', previous_role: 'customer' };
    list.apply({ type: 'user.role_changed', subject: 'u1', time: time.toISOString(), data });
    expect(list.isRevoked({ sub: 'u1', sid: 'a', iat: seconds(time.getTime()) - 60 })).toBe(true);
    expect(list.isRevoked({ sub: 'u1', sid: 'a', iat: seconds(time.getTime()) })).toBe(true);
    expect(list.isRevoked({ sub: 'u1', sid: 'a', iat: seconds(time.getTime()) + 1 })).toBe(false);
    expect(list.isRevoked({ sub: 'u1', sid: 'a' })).toBe(true); // no iat: cannot be shown to be newer
    expect(list.isRevoked({ sub: 'u2', sid: 'a', iat: 0 })).toBe(false);

    // An older event arriving late does not lower the threshold.
    list.apply({ type: 'user.deleted', time: new Date(time.getTime() - 60_000).toISOString(), data: { user_id: 'u1' } });
    expect(list.isRevoked({ sub: 'u1', iat: seconds(time.getTime()) })).toBe(true);
  });

  it.each([
    ['another event type', { type: 'user.logged_in', data: { user_id: 'u' } }],
    ['session.revoked without session_ids', { type: 'session.revoked', data: { user_id: 'u' } }],
    ['session.revoked with no string ids', { type: 'session.revoked', data: { user_id: 'u', session_ids: [1, null] } }],
    ['user.deleted without any user id', { type: 'user.deleted', data: {} }],
    ['null', null],
    ['a string', 'session.revoked'],
  ])('ignores %s', (_, event) => {
    const list = new RevocationList();
    expect(list.apply(event)).toBe(false);
    expect(list.size).toBe(0);
  });
});

if (!rabbitmqAvailable) console.warn(`[auth-client] RabbitMQ tests skipped: RabbitMQ is unreachable at ${TEST_AMQP_URL}`);

/** A TCP proxy in front of RabbitMQ that can cut every connection, as a broker restart would. */
async function startProxy(target: URL): Promise<{ url: string; cut(): void; restore(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let refusing = false;
  const server: Server = createServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = tcpConnect(Number(target.port || 5672), target.hostname);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', drop).on('close', () => (sockets.delete(socket), drop()));
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(target);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    cut() {
      refusing = true;
      for (const socket of sockets) socket.destroy();
    },
    restore() {
      refusing = false;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!rabbitmqAvailable)('RevocationList against the real RabbitMQ, through AuthClientGuard', () => {
  const exchange = `alat-berat.events.test-${randomBytes(4).toString('hex')}`;
  let publisher: ChannelModel;
  let channel: ConfirmChannel;
  let issuer: TestIssuer;
  let service: GuardedApp;

  async function publish(type: string, data: Record<string, unknown>, time = new Date()): Promise<void> {
    const event = { specversion: '1.0', id: randomUUID(), type, source: '/users', subject: data.user_id, time: time.toISOString(), data };
    channel.publish(exchange, type, Buffer.from(JSON.stringify(event)), {
      contentType: 'application/cloudevents+json',
      messageId: event.id,
      persistent: true,
    });
    await channel.waitForConfirms();
  }

  const refusedWithin = (token: string, ms: number) => waitFor(async () => (await service.get('/me', token)).status === 401, ms);

  beforeAll(async () => {
    publisher = await connect(TEST_AMQP_URL);
    channel = await publisher.createConfirmChannel();
    await channel.assertExchange(exchange, 'topic', { durable: true });
    issuer = await createTestIssuer();
    await issuer.listen();
    service = await startGuardedApp({ issuer: issuer.issuer, revocation: { amqpUrl: TEST_AMQP_URL, exchange } });
    await service.app.get(RevocationList).connected();
  });
  afterAll(async () => {
    await service?.close();
    await issuer?.close();
    await channel?.deleteExchange(exchange);
    await publisher?.close();
  });

  it("session.revoked: the listed session is refused within 1 s, the user's other session is not", async () => {
    const user = randomUUID();
    const [revoked, kept] = [randomUUID(), randomUUID()];
    const token = await issuer.sign({ sub: user, sid: revoked });
    const other = await issuer.sign({ sub: user, sid: kept });
    expect((await service.get('/me', token)).status).toBe(200);

    await publish('session.revoked', { user_id: user, session_ids: [revoked], reason: 'logout' });
    await refusedWithin(token, 1_000);
    expect((await service.get('/me', other)).status).toBe(200);
  });

  it.each([
    ['user.deleted', (user: string) => ({ user_id: user })],
    ['user.role_changed', (user: string) => ({ user_id: user, role: 'admin', previous_role: 'customer' })],
  ])("%s: tokens issued up to the event's time are refused within 1 s, later ones are not", async (type, data) => {
    const user = randomUUID();
    const time = new Date(Date.now() - 5_000);
    const before = await issuer.sign({ sub: user, iat: seconds(time.getTime()) - 30 });
    const sameSecond = await issuer.sign({ sub: user, iat: seconds(time.getTime()) });
    const after = await issuer.sign({ sub: user, iat: seconds(time.getTime()) + 1 });
    const someoneElse = await issuer.sign({ sub: randomUUID(), iat: seconds(time.getTime()) - 30 });
    expect((await service.get('/me', before)).status).toBe(200);

    await publish(type, data(user), time);
    await refusedWithin(before, 1_000);
    expect((await service.get('/me', sameSecond)).status).toBe(401);
    expect((await service.get('/me', after)).status).toBe(200);
    expect((await service.get('/me', someoneElse)).status).toBe(200);
  });

  it('skips an unreadable message and goes on consuming', async () => {
    channel.publish(exchange, 'session.revoked', Buffer.from('{not json'), { contentType: 'application/cloudevents+json' });
    const sid = randomUUID();
    const token = await issuer.sign({ sub: randomUUID(), sid });
    await publish('session.revoked', { user_id: 'x', session_ids: [sid], reason: 'logout' });
    await refusedWithin(token, 1_000);
  });

  it('reconnects after the broker connection drops; a named queue keeps what was sent meanwhile, and every message is acked', async () => {
    const queue = `alat-berat-test-${randomBytes(4).toString('hex')}`;
    const proxy = await startProxy(new URL(TEST_AMQP_URL));
    const consumer = await startGuardedApp({ issuer: issuer.issuer, revocation: { amqpUrl: proxy.url, exchange, queue } });
    let running = true;
    const stop = async () => {
      if (running) await consumer.close();
      running = false;
    };
    try {
      await consumer.app.get(RevocationList).connected();
      const sid = randomUUID();
      const token = await issuer.sign({ sub: randomUUID(), sid });
      expect((await consumer.get('/me', token)).status).toBe(200);

      proxy.cut();
      await publish('session.revoked', { user_id: 'x', session_ids: [sid], reason: 'password_changed' });
      await new Promise((resolve) => setTimeout(resolve, 700)); // a few refused reconnects
      expect((await consumer.get('/me', token)).status).toBe(200);
      proxy.restore();

      await waitFor(async () => (await consumer.get('/me', token)).status === 401, 10_000);
      await stop();
      // Nothing unacked came back to the queue when the consumer left.
      expect((await channel.deleteQueue(queue)).messageCount).toBe(0);
    } finally {
      await stop();
      await proxy.close();
      await channel.deleteQueue(queue); // a durable queue outlives the run unless deleted
    }
  });
});
