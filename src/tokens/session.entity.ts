import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One login, and the state of its refresh tokens: the live one's hash, the one it replaced (with
 * the time of that rotation and the grace seal), so a refresh updates this row alone. Older
 * tokens are in `refresh_token_history`. Revoking the session ends every token of it.
 */
@Entity('sessions')
export class Session {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Plain column: the foreign key to users lives in the migration (tokens never imports User). */
  @Column({ name: 'user_id', type: 'uuid' })
  userId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** Absolute end of the session (JWT_REFRESH_TTL after login); rotation never extends it. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Recorded at login; cut to 512 characters. */
  @Column({ name: 'user_agent', type: 'varchar', length: 512, nullable: true })
  userAgent: string | null;

  /** The client address at login (X-Forwarded-For only with TRUST_PROXY). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  ip: string | null;

  /** SHA-256 of the live refresh token. */
  @Column({ name: 'token_hash', type: 'bytea', nullable: true, select: false })
  tokenHash: Buffer | null;

  /** SHA-256 of the token the live one replaced: within the grace window it still gets the live one. */
  @Column({ name: 'previous_hash', type: 'bytea', nullable: true, select: false })
  previousHash: Buffer | null;

  /** When the live token replaced the previous one; null until the first refresh. */
  @Column({ name: 'rotated_at', type: 'timestamptz', nullable: true })
  rotatedAt: Date | null;

  /**
   * The live token sealed under the previous one (sealed-successor.ts), for the grace window: a
   * concurrent presentation of the previous token gets this same token back, and the database
   * alone never holds a usable one. Erased by the purge once the window is over, and on reuse.
   */
  @Column({ name: 'successor_sealed', type: 'bytea', nullable: true, select: false })
  successorSealed: Buffer | null;

  /** Login, then every refresh (the last rotation); derived, not a column. */
  get lastUsedAt(): Date {
    return this.rotatedAt ?? this.createdAt;
  }

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason: string | null;
}
