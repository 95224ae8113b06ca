import type { AppConfig } from '../config/config';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under the data directory. */
export async function resolveDatabase(config: AppConfig, log: (line: string) => void): Promise<EmbeddedDatabase> {
  if (config.database.url) return { url: config.database.url, stop: async () => undefined };
  return startEmbeddedPostgres(config.dataDir, log);
}
