import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Refresh grace without forks (issue 9): a rotated refresh token keeps its successor for the
 * grace window, encrypted (AES-256-GCM) under a key derived from the rotated token itself, which
 * only the client holds (the table stores its SHA-256). A concurrent tab presenting the rotated
 * token gets the same successor back; the column is erased when the window ends or the successor
 * is rotated in turn. Nullable, no default: adding it rewrites nothing.
 */
export class RefreshSuccessorSealed1796100000000 implements MigrationInterface {
  name = 'RefreshSuccessorSealed1796100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE refresh_tokens ADD COLUMN successor_sealed bytea`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE refresh_tokens DROP COLUMN successor_sealed`);
  }
}
