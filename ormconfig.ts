import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/config';
import { migrationDataSourceOptions } from './src/database/data-source';
import { resolveDatabase } from './src/database/database-url';

/**
 * The DataSource the TypeORM CLI uses (`npm run typeorm -- migration:show`). With DATABASE_URL
 * unset it uses the embedded PostgreSQL under .data/ (a running one is reused).
 */
export default (async () => {
  const config = loadConfig();
  const database = await resolveDatabase(config, (line) => console.error(line));
  return new DataSource(migrationDataSourceOptions(database.url));
})();
