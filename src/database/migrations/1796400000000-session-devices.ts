import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * "My devices" (routes 17, 18): what a person needs to recognise a session. `user_agent` and `ip`
 * are recorded at login (the agent cut to 512 characters: real ones are under 300, and a client
 * may send kilobytes); `last_used_at` moves on refresh only, so the per-request session check
 * stays a read. Existing sessions get their login time as the last use.
 */
export class SessionDevices1796400000000 implements MigrationInterface {
  name = 'SessionDevices1796400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN user_agent varchar(512), ADD COLUMN ip varchar(64)`);
    await db.query(`ALTER TABLE sessions ADD COLUMN last_used_at timestamptz`);
    await db.query(`UPDATE sessions SET last_used_at = created_at`);
    await db.query(`ALTER TABLE sessions ALTER COLUMN last_used_at SET NOT NULL, ALTER COLUMN last_used_at SET DEFAULT now()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions DROP COLUMN last_used_at, DROP COLUMN ip, DROP COLUMN user_agent`);
  }
}
