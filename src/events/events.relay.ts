import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ChannelModel, ConfirmChannel } from 'amqplib';
import { DataSource } from 'typeorm';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { CLOUDEVENTS_CONTENT_TYPE, toCloudEvent } from './cloud-event';
import { EventRecord } from './event.entity';

const POLL_MS = 200;
const BATCH = 100;
const CONFIRM_TIMEOUT_MS = 10_000;
const MAX_BACKOFF_MS = 5_000;
/** pg advisory lock key of the relay (a number of its own): one relay publishes at a time. */
const RELAY_LOCK = 1_796_200_001;

/**
 * Publishes the event log to RabbitMQ (when AMQP_URL is set): unpublished rows in `seq` order,
 * on a confirm channel, each marked published only after the broker confirmed it. The broker
 * away → the rows wait and the relay reconnects with backoff; no request ever waits for it.
 *
 * One relay at a time across instances (a transaction-scoped advisory lock), rather than several
 * claiming disjoint batches with SKIP LOCKED: two relays would race their batches to the broker
 * and could publish one user's events out of order. A single relay keeps the log's order simply,
 * and security events are few enough for one.
 */
@Injectable()
export class EventsRelay implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(EventsRelay.name);
  private connection?: ChannelModel;
  private channel?: ConfirmChannel;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  private failures = 0;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    if (this.config.events.amqpUrl) this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
    await this.disconnect();
  }

  private schedule(delay: number): void {
    if (this.stopped) return;
    // unref: the relay alone never keeps a process (or a test run) alive.
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => (this.running = undefined));
    }, delay).unref();
  }

  private async tick(): Promise<void> {
    let delay = POLL_MS;
    try {
      const published = await this.publishPending();
      if (this.failures) this.logger.log('event broker reachable again; publishing the events that waited');
      this.failures = 0;
      if (published === BATCH) delay = 0;
    } catch (error) {
      this.failures += 1;
      delay = Math.min(POLL_MS * 2 ** this.failures, MAX_BACKOFF_MS);
      if (this.failures === 1) this.logger.warn(`event relay paused, events wait in the database: ${describe(error)}`);
      await this.disconnect();
    }
    this.schedule(delay);
  }

  /** One batch; returns how many rows were published. Throws when the broker is away. */
  private async publishPending(): Promise<number> {
    // A cheap look first (a partial index), so an idle relay never opens a transaction.
    const pending = await this.dataSource.query(`SELECT 1 FROM events WHERE published_at IS NULL LIMIT 1`);
    if (!pending.length) return 0;
    const channel = await this.ensureChannel();
    const outcome = await this.dataSource.transaction(async (db) => {
      const [{ locked }] = await db.query(`SELECT pg_try_advisory_xact_lock($1) AS locked`, [RELAY_LOCK]);
      if (!locked) return { published: 0, failed: undefined };
      const rows = await db
        .getRepository(EventRecord)
        .createQueryBuilder('event')
        .where('event.published_at IS NULL')
        .orderBy('event.seq', 'ASC')
        .limit(BATCH)
        .getMany();
      const results = await Promise.allSettled(rows.map((row) => this.publish(channel, row)));
      // Only the confirmed prefix is marked: a later row never counts as sent before an earlier one.
      const failedAt = results.findIndex((result) => result.status === 'rejected');
      const confirmed = (failedAt === -1 ? rows : rows.slice(0, failedAt)).map((row) => row.seq);
      if (confirmed.length) await db.query(`UPDATE events SET published_at = now() WHERE seq = ANY($1::bigint[])`, [confirmed]);
      const failure = failedAt === -1 ? undefined : (results[failedAt] as PromiseRejectedResult).reason;
      return { published: confirmed.length, failed: failure as unknown };
    });
    if (outcome.failed !== undefined) throw outcome.failed;
    return outcome.published;
  }

  private publish(channel: ConfirmChannel, row: EventRecord): Promise<void> {
    const body = Buffer.from(JSON.stringify(toCloudEvent(row, this.config.auth.issuer)));
    return new Promise<void>((resolve, reject) => {
      const timeout = setTimeout(() => reject(new Error('no confirm from the broker')), CONFIRM_TIMEOUT_MS);
      try {
        channel.publish(
          this.config.events.exchange,
          row.type,
          body,
          {
            persistent: true,
            contentType: CLOUDEVENTS_CONTENT_TYPE,
            messageId: row.id,
            type: row.type,
            timestamp: Math.floor(row.createdAt.getTime() / 1000),
            appId: 'alat-berat-user-service',
          },
          (error: unknown) => {
            clearTimeout(timeout);
            if (error) reject(error instanceof Error ? error : new Error(`broker refused the event: ${String(error)}`));
            else resolve();
          },
        );
      } catch (error) {
        clearTimeout(timeout);
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private async ensureChannel(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    // amqplib is loaded with the first connection: without AMQP_URL it never is (issue 12).
    const { connect } = await import('amqplib');
    const connection = await connect(this.config.events.amqpUrl!, { timeout: 5000 });
    // Without listeners an 'error' event would crash the process; a close drops the channel and
    // the next tick reconnects.
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (this.connection === connection) {
        this.connection = undefined;
        this.channel = undefined;
      }
    });
    this.connection = connection;
    try {
      const channel = await connection.createConfirmChannel();
      channel.on('error', () => undefined);
      channel.on('close', () => {
        if (this.channel === channel) this.channel = undefined;
      });
      await channel.assertExchange(this.config.events.exchange, 'topic', { durable: true });
      this.channel = channel;
      return channel;
    } catch (error) {
      await this.disconnect();
      throw error;
    }
  }

  private async disconnect(): Promise<void> {
    const connection = this.connection;
    this.connection = undefined;
    this.channel = undefined;
    await connection?.close().catch(() => undefined);
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
