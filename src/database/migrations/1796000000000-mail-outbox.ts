import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The mail outbox, and the language each user gets their emails in.
 *
 * - `users.lang`: the registration's Accept-Language, used for every later email to that user.
 * - `mail_outbox`: one row per email (`template`), or per request whose mail is decided by the
 *   worker (`request`: a resend or forgot, where the lookup must not run in the request). Rows
 *   are written in the transaction of the change that causes them and delivered by the worker,
 *   which locks a batch of due rows FOR UPDATE SKIP LOCKED until it has sent them: several
 *   instances share the table, and a crashed one's locks go with its connection.
 */
export class MailOutbox1796000000000 implements MigrationInterface {
  name = 'MailOutbox1796000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN lang varchar(2) NOT NULL DEFAULT 'id' CHECK (lang IN ('id', 'en'))`);
    await db.query(`
      CREATE TABLE mail_outbox (
        id bigserial PRIMARY KEY,
        to_address varchar(254) NOT NULL,
        template varchar(40),
        request varchar(40),
        lang varchar(2) NOT NULL,
        vars jsonb NOT NULL DEFAULT '{}',
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz,
        failed_at timestamptz,
        CONSTRAINT mail_outbox_one_kind CHECK ((template IS NULL) <> (request IS NULL))
      )`);
    // What the worker polls: only undelivered rows are in it, so it stays small.
    await db.query(`CREATE INDEX mail_outbox_due_idx ON mail_outbox (next_attempt_at, id) WHERE sent_at IS NULL AND failed_at IS NULL`);
    // MAIL_PER_ADDRESS_PER_HOUR counts the mails of one template to one address in the last hour.
    await db.query(`CREATE INDEX mail_outbox_address_idx ON mail_outbox (to_address, template, created_at) WHERE template IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE mail_outbox`);
    await db.query(`ALTER TABLE users DROP COLUMN lang`);
  }
}
