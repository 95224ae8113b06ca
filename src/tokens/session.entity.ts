import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One login. Every refresh token of that login belongs to it; revoking it ends them all. */
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

  /**
   * Login, then every refresh: the newest refresh token's creation, read by `listLiveSessions`
   * (not a column, so neither a refresh nor the per-request check writes the session row).
   */
  lastUsedAt: Date;

  @Column({ name: 'revoke_reason', type: 'varchar', length: 32, nullable: true })
  revokeReason: string | null;
}
