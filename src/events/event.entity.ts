import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const EVENT_TYPES = [
  'user.registered',
  'user.activated',
  'user.logged_in',
  'user.login_failed',
  'session.revoked',
  'user.password_changed',
  'user.email_changed',
  'user.role_changed',
  'user.updated',
  'user.deleted',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One change of a user's security state: the audit log, and the outbox of the broker relay. */
@Entity('events')
export class EventRecord {
  /** Order of the log; the relay publishes by it. bigint: TypeORM hands it over as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  seq: string;

  /** The CloudEvents `id`: consumers deduplicate by it. */
  @Column({ type: 'uuid' })
  id: string;

  @Column({ type: 'varchar', length: 40 })
  type: EventType;

  /** Plain column, no foreign key: the log outlives a deleted user. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'jsonb' })
  data: Record<string, unknown>;

  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;
}
