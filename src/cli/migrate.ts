import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { resolveDatabase } from '../database/database-url';

/** `npm run migration:run` in development, `node dist/src/cli/migrate.js` in the image. */
async function main(): Promise<void> {
  const config = loadConfig();
  const database = await resolveDatabase(config, (line) => console.error(line));
  const dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
  try {
    const applied = await dataSource.runMigrations({ transaction: 'all' });
    console.log(applied.length ? `applied: ${applied.map((m) => m.name).join(', ')}` : 'no pending migrations');
  } finally {
    await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
