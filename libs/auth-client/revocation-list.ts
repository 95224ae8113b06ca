import { Logger } from '@nestjs/common';
import type { ChannelModel, ConsumeMessage, RecoveringChannelModel } from 'amqplib';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, DEFAULT_EXCHANGE, DEFAULT_MAX_TOKEN_LIFETIME_SECONDS } from './auth-client.options';

/** The user service's events that make tokens unacceptable before their `exp`. */
export const REVOCATION_EVENT_TYPES = ['session.revoked', 'user.deleted', 'user.role_changed'] as const;

export interface RevocationListOptions {
  /** The longest access-token lifetime the issuer uses (default 900 s): entries are forgotten after it. */
  maxTokenLifetimeSeconds?: number;
  clockToleranceSeconds?: number;
}

export interface RevocableClaims {
  sub?: unknown;
  sid?: unknown;
  iat?: unknown;
}

const SWEEP_EVERY_MS = 60_000;

/**
 * Revoked sessions and users, in memory, fed by the user service's CloudEvents.
 *
 * `session.revoked` refuses every token of the listed `sid`s; `user.deleted` and
 * `user.role_changed` refuse every token of that `sub` issued at or before the event's `time`
 * (whole seconds, as `iat` is). An entry lives for the longest token lifetime after it arrived:
 * every token it refuses has expired by then, so memory stays bounded by the event rate.
 */
export class RevocationList {
  private readonly logger = new Logger('AuthClient');
  private readonly retentionMs: number;
  /** sid → when to forget it (ms). */
  private readonly sessions = new Map<string, number>();
  /** sub → tokens with `iat` <= `notAfter` (s) are refused until `forgetAt` (ms). */
  private readonly users = new Map<string, { notAfter: number; forgetAt: number }>();
  private lastSweep = Date.now();
  private connection?: RecoveringChannelModel;
  private consuming?: Promise<void>;
  private closing = false;

  constructor(options: RevocationListOptions = {}) {
    const lifetime = options.maxTokenLifetimeSeconds ?? DEFAULT_MAX_TOKEN_LIFETIME_SECONDS;
    this.retentionMs = (lifetime + (options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS)) * 1000;
  }

  get size(): number {
    return this.sessions.size + this.users.size;
  }

  isRevoked(claims: RevocableClaims): boolean {
    const now = Date.now();
    if (typeof claims.sid === 'string') {
      const forgetAt = this.sessions.get(claims.sid);
      if (forgetAt !== undefined) {
        if (forgetAt > now) return true;
        this.sessions.delete(claims.sid);
      }
    }
    if (typeof claims.sub === 'string') {
      const user = this.users.get(claims.sub);
      if (user && user.forgetAt <= now) this.users.delete(claims.sub);
      else if (user && !(typeof claims.iat === 'number' && claims.iat > user.notAfter)) return true;
    }
    return false;
  }

  /**
   * Records one CloudEvent (structured mode, already parsed). Returns whether it revoked
   * anything; other event types and malformed events are ignored. Public so a service that
   * already consumes the events some other way can feed them in.
   */
  apply(event: unknown): boolean {
    const now = Date.now();
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const { type, subject, time, data } = (event ?? {}) as { type?: unknown; subject?: unknown; time?: unknown; data?: unknown };
    const body = (data ?? {}) as { user_id?: unknown; session_ids?: unknown };
    const forgetAt = now + this.retentionMs;
    if (type === 'session.revoked') {
      if (!Array.isArray(body.session_ids)) return false;
      const sids = body.session_ids.filter((sid): sid is string => typeof sid === 'string');
      for (const sid of sids) this.sessions.set(sid, forgetAt);
      return sids.length > 0;
    }
    if (type === 'user.deleted' || type === 'user.role_changed') {
      const userId = typeof body.user_id === 'string' ? body.user_id : subject;
      if (typeof userId !== 'string') return false;
      // Without a readable time, "now" refuses at least every token issued before the event.
      const at = typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? Date.parse(time) : now;
      const notAfter = Math.floor(at / 1000);
      const previous = this.users.get(userId);
      this.users.set(userId, { notAfter: Math.max(notAfter, previous?.notAfter ?? -Infinity), forgetAt });
      return true;
    }
    return false;
  }

  /**
   * Binds a queue to the revocation events on `exchange` and applies what arrives. Without
   * `queue` it is exclusive and auto-deleted (events sent while disconnected are missed); a named
   * queue is durable and keeps them. Reconnects with backoff whenever the broker goes away.
   * Resolves once the queue is bound the first time (never, while the broker stays unreachable).
   */
  consume(amqpUrl: string, exchange: string = DEFAULT_EXCHANGE, queue?: string): Promise<void> {
    if (this.consuming) throw new Error('RevocationList.consume() was already called');
    this.consuming = this.start(amqpUrl, exchange, queue);
    return this.consuming;
  }

  /** The promise of consume(): resolves once its queue is bound. */
  connected(): Promise<void> {
    return this.consuming ?? Promise.reject(new Error('RevocationList.consume() was not called'));
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.connection?.close();
  }

  private async start(amqpUrl: string, exchange: string, queue?: string): Promise<void> {
    // Loaded here so a service that does not consume events needs no amqplib installed.
    const { connect } = await import('amqplib');
    const connection = await connect(amqpUrl, {
      recovery: {
        initialDelay: 250,
        maxDelay: 15_000,
        // Resolve at once: listeners go on before the first attempt, and close() can cancel it.
        waitForConnect: false,
        // Runs after every (re)connect: an exclusive queue died with the old connection.
        setup: (model: ChannelModel) => this.bind(model, exchange, queue),
      },
    });
    this.connection = connection;
    connection.on('connect', () => this.logger.log(`revocation events: consuming from ${exchange}`));
    connection.on('disconnect', (error) => this.logger.warn(`revocation events: broker connection lost (${error.message}); reconnecting`));
    connection.on('connect-failed', (error) => this.logger.warn(`revocation events: cannot connect (${error.message}); retrying`));
    connection.on('error', (error) => this.logger.warn(`revocation events: ${error.message}`));
    if (this.closing) await connection.close();
    await connection.waitForConnect();
  }

  private async bind(model: ChannelModel, exchange: string, queue?: string): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error) => this.logger.warn(`revocation events: channel error (${error.message})`));
    // A channel can die while its connection lives (a deleted queue or exchange): closing the
    // connection hands the whole thing back to amqplib's recovery, which runs this setup again.
    const restart = () => {
      if (!this.closing) model.close().catch(() => undefined);
    };
    channel.on('close', restart);
    await channel.assertExchange(exchange, 'topic', { durable: true });
    const { queue: name } = queue
      ? await channel.assertQueue(queue, { durable: true })
      : await channel.assertQueue('', { exclusive: true, autoDelete: true });
    for (const type of REVOCATION_EVENT_TYPES) await channel.bindQueue(name, exchange, type);
    await channel.prefetch(100);
    await channel.consume(name, (message) => (message ? this.receive(message, (m) => channel.ack(m)) : restart()));
  }

  private receive(message: ConsumeMessage, ack: (message: ConsumeMessage) => void): void {
    try {
      if (!this.apply(JSON.parse(message.content.toString('utf8')))) {
        this.logger.debug(`revocation events: ignored a ${message.fields.routingKey} message`);
      }
    } catch (error) {
      // Not JSON: acked anyway, since a redelivery would be just as unreadable.
      this.logger.warn(`revocation events: unreadable ${message.fields.routingKey} message (${(error as Error).message})`);
    }
    try {
      ack(message);
    } catch {
      // The channel closed under us; the broker redelivers to the next consumer.
    }
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [sid, forgetAt] of this.sessions) if (forgetAt <= now) this.sessions.delete(sid);
    for (const [sub, user] of this.users) if (user.forgetAt <= now) this.users.delete(sub);
  }
}
