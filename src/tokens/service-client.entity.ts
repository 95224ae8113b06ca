import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Another service of the system allowed to introspect tokens (route 20). Only the secret's SHA-256 is kept. */
@Entity('service_clients')
export class ServiceClient {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The client id of HTTP Basic. */
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'secret_hash', type: 'bytea', select: false })
  secretHash: Buffer;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
