import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { SqlStatement } from '../database/sql-statement';
import { EventRecord, type EventType } from './event.entity';

/** Who caused the change: the request's client address and user agent (none for the CLI). */
export interface EventContext {
  ip?: string | null;
  userAgent?: string | null;
}

export interface EventPage {
  events: EventRecord[];
  page: number;
  limit: number;
  total: number;
}

/**
 * Writes events in the caller's transaction (the change and its event commit or roll back
 * together) and reads a user's history for the audit route. Publishing is the relay's job.
 */
@Injectable()
export class EventsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `data` is what consumers get: never a password, a hash or a token. The manager is the
   * transaction of the change; without one the event is written on its own (e.g. a failed login,
   * which changes nothing else).
   */
  async record(
    type: EventType,
    userId: string,
    data: Record<string, unknown>,
    context: EventContext = {},
    manager?: EntityManager,
  ): Promise<void> {
    const { text, values } = this.insertStatement(type, userId, data, context);
    await (manager ?? this.dataSource.manager).query(text, values);
  }

  /**
   * The same insert, for a statement of another module to carry (login's session and its event
   * commit as one statement, in one round trip).
   */
  insertStatement(type: EventType, userId: string, data: Record<string, unknown>, context: EventContext = {}): SqlStatement {
    return {
      name: 'events_insert',
      text: `INSERT INTO events (id, type, user_id, data, ip, user_agent) VALUES ($1, $2, $3, $4::jsonb, $5, $6)`,
      values: [
        randomUUID(),
        type,
        userId,
        JSON.stringify(data),
        context.ip?.slice(0, 64) ?? null,
        context.userAgent?.slice(0, 512) ?? null,
      ],
    };
  }

  /** Newest first. */
  async listForUser(userId: string, page: number, limit: number): Promise<EventPage> {
    const [events, total] = await this.dataSource.getRepository(EventRecord).findAndCount({
      where: { userId },
      order: { seq: 'DESC' },
      skip: (page - 1) * limit,
      take: limit,
    });
    return { events, page, limit, total };
  }
}
