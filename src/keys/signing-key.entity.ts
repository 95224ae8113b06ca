import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A managed signing key (JWT_PRIVATE_KEY unset). It signs from `activates_at` until a newer key
 * activates (`retires_at`), and is published from its creation until every token it signed has
 * expired (`expires_at`) or it is revoked.
 *
 * The private key is stored as PEM, not encrypted: an encryption key would have to come from the
 * environment, and an operator who can manage one can as well set JWT_PRIVATE_KEY. Whoever reads
 * this table can sign tokens, so the database's access rules guard it.
 */
@Entity('signing_keys')
export class SigningKeyRecord {
  /** The RFC 7638 thumbprint of the public key. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  kid: string;

  @Column({ name: 'private_key_pem', type: 'text' })
  privateKeyPem: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt: Date;

  @Column({ name: 'retires_at', type: 'timestamptz', nullable: true })
  retiresAt: Date | null;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
