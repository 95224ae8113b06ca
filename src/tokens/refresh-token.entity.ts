import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One link of a session's rotation chain. Only the SHA-256 of the token is stored. */
@Entity('refresh_tokens')
export class RefreshToken {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'session_id', type: 'uuid' })
  sessionId: string;

  @Column({ name: 'token_hash', type: 'bytea' })
  tokenHash: Buffer;

  /** The token this one replaced; null for the token issued at login. */
  @Column({ name: 'parent_id', type: 'uuid', nullable: true })
  parentId: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When it was exchanged for a new pair; presenting it after the grace window is theft. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /**
   * For the grace window only: the successor token, sealed under a key derived from this token
   * (see sealed-successor.ts), so the database alone never holds a usable token. Null otherwise.
   */
  @Column({ name: 'successor_sealed', type: 'bytea', nullable: true })
  successorSealed: Buffer | null;
}
