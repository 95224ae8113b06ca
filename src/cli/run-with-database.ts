import 'reflect-metadata';
import { DataSource, type Migration } from 'typeorm';
import { type AppConfig, loadConfig } from '../config/config';
import { migrationDataSourceOptions } from '../database/data-source';
import { resolveDatabase } from '../database/database-url';

/**
 * Runs a command-line task against the service's database (DATABASE_URL, or the embedded one
 * under .data/, reusing a server that is already running), with pending migrations applied,
 * and always closes what it opened. Exits 1 with the message on failure.
 */
export function runWithDatabase(task: (dataSource: DataSource, config: AppConfig, applied: Migration[]) => Promise<void>): void {
  const run = async () => {
    const config = loadConfig();
    const database = await resolveDatabase(config, (line) => console.error(line));
    const dataSource = await new DataSource(migrationDataSourceOptions(database.url)).initialize();
    try {
      const applied = await dataSource.runMigrations({ transaction: 'all' });
      await task(dataSource, config, applied);
    } finally {
      await dataSource.destroy();
      await database.stop();
    }
  };
  run().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
