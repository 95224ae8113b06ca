import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { connect, type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';

import { rabbitmqAvailable, TEST_AMQP_URL } from './rabbitmq';

export { TEST_AMQP_URL };
export const amqpAvailable = rabbitmqAvailable;

/** An exchange name of this run alone, so tests never see anyone else's events. */
export function uniqueExchange(tag: string): string {
  return `alat-berat-test.${tag}.${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

export interface ReceivedEvent {
  routingKey: string;
  contentType?: string;
  persistent: boolean;
  raw: string;
  body: {
    specversion: string;
    id: string;
    type: string;
    source: string;
    subject?: string;
    time: string;
    datacontenttype: string;
    data: Record<string, unknown>;
  };
}

/** A queue bound to every routing key of the exchange, collecting what arrives; the exchange goes on close. */
export class EventCollector {
  readonly events: ReceivedEvent[] = [];
  private connection?: ChannelModel;
  private channel?: Channel;

  constructor(readonly exchange: string) {}

  async start(): Promise<this> {
    this.connection = await connect(TEST_AMQP_URL);
    this.channel = await this.connection.createChannel();
    await this.channel.assertExchange(this.exchange, 'topic', { durable: true });
    const { queue } = await this.channel.assertQueue('', { exclusive: true, autoDelete: true });
    await this.channel.bindQueue(queue, this.exchange, '#');
    await this.channel.consume(queue, (message: ConsumeMessage | null) => {
      if (!message) return;
      const raw = message.content.toString('utf8');
      this.events.push({
        routingKey: message.fields.routingKey,
        contentType: message.properties.contentType as string | undefined,
        persistent: message.properties.deliveryMode === 2,
        raw,
        body: JSON.parse(raw),
      });
      this.channel?.ack(message);
    });
    return this;
  }

  forUser(userId: string): ReceivedEvent[] {
    return this.events.filter((event) => event.body.subject === userId);
  }

  /** Polls until `predicate` holds for what has arrived (no sleeps), or fails after `timeoutMs`. */
  async waitFor(predicate: (events: ReceivedEvent[]) => boolean, timeoutMs = 20_000): Promise<ReceivedEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.events)) {
      if (Date.now() > deadline)
        throw new Error(`events did not arrive in ${timeoutMs} ms; got ${this.events.map((e) => e.body.type).join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return this.events;
  }

  async close(): Promise<void> {
    await this.channel?.deleteExchange(this.exchange).catch(() => undefined);
    await this.connection?.close().catch(() => undefined);
  }
}

/**
 * A TCP proxy in front of RabbitMQ: the service talks to the proxy's port, and the test takes the
 * broker away (closes the port and cuts every open connection) and brings it back. The broker
 * itself is shared by others on this machine, so it is never stopped.
 */
export class BrokerProxy {
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  /** A free port, not yet listening: the broker is "away" until `up()`. */
  async reserve(): Promise<this> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    this.port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return this;
  }

  get url(): string {
    const target = new URL(TEST_AMQP_URL);
    target.hostname = '127.0.0.1';
    target.port = String(this.port);
    return target.toString();
  }

  async up(): Promise<void> {
    const target = new URL(TEST_AMQP_URL);
    this.server = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 5672), target.hostname);
      this.sockets.add(client).add(upstream);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
  }

  /** The broker goes away: the port closes and every open connection is cut. */
  async down(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
