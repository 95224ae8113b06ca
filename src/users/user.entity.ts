import type { Lang } from '../http';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const ROLES = ['customer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export const GENDERS = ['Laki-laki', 'Perempuan'] as const;
export type Gender = (typeof GENDERS)[number];

@Entity('users')
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  /** Stored lower-cased; unique on lower(email) in the migration. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 72, select: false })
  passwordHash: string;

  @Column({ name: 'no_tlp', type: 'varchar', length: 20, nullable: true })
  noTlp: string | null;

  @Column({ type: 'varchar', length: 10, nullable: true })
  gender: Gender | null;

  @Column({ type: 'varchar', length: 10, default: 'customer' })
  role: Role;

  /** The language of every email to this user: the registration's Accept-Language. Not in responses. */
  @Column({ type: 'varchar', length: 2, default: 'id' })
  lang: Lang;

  @Column({ name: 'is_active', type: 'boolean', default: false })
  isActive: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
