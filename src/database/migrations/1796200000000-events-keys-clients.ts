import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What the other services of the system rely on:
 *
 * - `events`: the audit log and the outbox of the events published to RabbitMQ. `seq` orders
 *   them (the relay publishes in that order), `id` is the CloudEvents id. `user_id` is no foreign
 *   key on purpose: the events of a deleted user stay for the audit.
 * - `signing_keys`: the managed ES256 keys (when JWT_PRIVATE_KEY is unset), shared by every instance.
 * - `service_clients`: the credentials other services use for introspection; only the SHA-256 of
 *   the secret is stored.
 */
export class EventsKeysClients1796200000000 implements MigrationInterface {
  name = 'EventsKeysClients1796200000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE events (
        seq bigserial PRIMARY KEY,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        type varchar(40) NOT NULL,
        user_id uuid,
        data jsonb NOT NULL DEFAULT '{}',
        ip varchar(64),
        user_agent varchar(512),
        created_at timestamptz NOT NULL DEFAULT now(),
        published_at timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX events_id_key ON events (id)`);
    await db.query(`CREATE INDEX events_user_id_seq_idx ON events (user_id, seq DESC)`);
    // The relay's claim reads this small index only: published rows drop out of it.
    await db.query(`CREATE INDEX events_unpublished_idx ON events (seq) WHERE published_at IS NULL`);

    await db.query(`
      CREATE TABLE signing_keys (
        kid varchar(64) PRIMARY KEY,
        private_key_pem text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        activates_at timestamptz NOT NULL,
        retires_at timestamptz,
        expires_at timestamptz,
        revoked_at timestamptz
      )`);

    await db.query(`
      CREATE TABLE service_clients (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name varchar(100) NOT NULL,
        secret_hash bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        revoked_at timestamptz
      )`);
    await db.query(`CREATE UNIQUE INDEX service_clients_name_key ON service_clients (name) WHERE revoked_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE service_clients`);
    await db.query(`DROP TABLE signing_keys`);
    await db.query(`DROP TABLE events`);
  }
}
