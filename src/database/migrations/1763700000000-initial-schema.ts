import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1763700000000 implements MigrationInterface {
  name = 'InitialSchema1763700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        email varchar(254) NOT NULL,
        password_hash varchar(72) NOT NULL,
        no_tlp varchar(20),
        gender varchar(10) CHECK (gender IN ('Laki-laki', 'Perempuan')),
        role varchar(10) NOT NULL DEFAULT 'customer' CHECK (role IN ('customer', 'admin')),
        is_active boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Case-insensitive uniqueness enforced by the database: concurrent registrations race here.
    await db.query(`CREATE UNIQUE INDEX users_email_key ON users (lower(email))`);
    await db.query(`CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC)`);

    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason varchar(32)
      )`);
    await db.query(`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`);

    await db.query(`
      CREATE TABLE refresh_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        token_hash bytea NOT NULL,
        parent_id uuid REFERENCES refresh_tokens (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX refresh_tokens_token_hash_key ON refresh_tokens (token_hash)`);
    await db.query(`CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id)`);
    await db.query(`CREATE INDEX refresh_tokens_parent_id_idx ON refresh_tokens (parent_id)`);

    await db.query(`
      CREATE TABLE one_time_tokens (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        purpose varchar(20) NOT NULL CHECK (purpose IN ('activation', 'password_reset', 'email_change')),
        token_hash bytea NOT NULL,
        new_email varchar(254),
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`CREATE UNIQUE INDEX one_time_tokens_token_hash_key ON one_time_tokens (token_hash)`);
    await db.query(`CREATE INDEX one_time_tokens_user_purpose_idx ON one_time_tokens (user_id, purpose)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE one_time_tokens`);
    await db.query(`DROP TABLE refresh_tokens`);
    await db.query(`DROP TABLE sessions`);
    await db.query(`DROP TABLE users`);
  }
}
