import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The exact number of users, kept by triggers, for route 8's `meta.total` when nothing is
 * searched: counting 100 000 rows took 16 ms of every unfiltered page (issue 12's list goal is a
 * p99 of 20 ms). Statement-level triggers with transition tables: one update per statement, so a
 * bulk insert adds its row count once. The single row is locked from a registration's insert to
 * its commit; registrations are bcrypt-bound (tens a second per instance), far below what one row
 * takes. Searches still count their matches (they are not known in advance).
 */
export class UserCount1796500000000 implements MigrationInterface {
  name = 'UserCount1796500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE TABLE user_count (one boolean PRIMARY KEY DEFAULT true CHECK (one), total bigint NOT NULL)`);
    await db.query(`LOCK TABLE users IN SHARE MODE`); // no insert or delete between the count and the triggers
    await db.query(`INSERT INTO user_count (total) SELECT count(*) FROM users`);
    await db.query(`
      CREATE FUNCTION user_count_added() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE user_count SET total = total + (SELECT count(*) FROM added); RETURN NULL; END $$`);
    await db.query(`
      CREATE FUNCTION user_count_removed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE user_count SET total = total - (SELECT count(*) FROM removed); RETURN NULL; END $$`);
    await db.query(`
      CREATE FUNCTION user_count_emptied() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN UPDATE user_count SET total = 0; RETURN NULL; END $$`);
    await db.query(
      `CREATE TRIGGER user_count_insert AFTER INSERT ON users REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION user_count_added()`,
    );
    await db.query(
      `CREATE TRIGGER user_count_delete AFTER DELETE ON users REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION user_count_removed()`,
    );
    await db.query(`CREATE TRIGGER user_count_truncate AFTER TRUNCATE ON users FOR EACH STATEMENT EXECUTE FUNCTION user_count_emptied()`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TRIGGER user_count_truncate ON users`);
    await db.query(`DROP TRIGGER user_count_delete ON users`);
    await db.query(`DROP TRIGGER user_count_insert ON users`);
    await db.query(`DROP FUNCTION user_count_emptied(), user_count_removed(), user_count_added()`);
    await db.query(`DROP TABLE user_count`);
  }
}
