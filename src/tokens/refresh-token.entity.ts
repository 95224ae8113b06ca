import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One link of a session's rotation chain. Only the SHA-256 of the token is stored. A token is
 * rotated once it has a successor (a row whose `parent_id` is its id; unique, so never two).
 */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  /** The token this one replaced; null for the token issued at login. Its `created_at` is when that one was rotated. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /**
   * For the grace window of its parent: this token, sealed under a key derived from the parent
   * token (see sealed-successor.ts), so a concurrent presentation of the parent gets this same
   * token back and the database alone never holds a usable one. Erased by the purge once the
   * window is over, and when the session ends by reuse.
   */
  @Column({ name: 'successor_sealed', type: 'bytea', nullable: true })
  successorSealed: Buffer | null;
}
