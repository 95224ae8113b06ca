import { type AppConfig, ConfigError } from '../config/config';
import type { EmbeddedDatabase } from './embedded-postgres';

/** The signals main.ts handles with its drain. */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * DATABASE_URL when set; otherwise the embedded PostgreSQL under the data directory. The
 * embedded server is a development dependency, loaded only here, so a production install
 * (npm ci --omit=dev, the Docker image) does not carry its 60 MB of binaries.
 */
export async function resolveDatabase(config: AppConfig, log: (line: string) => void): Promise<EmbeddedDatabase> {
  if (config.database.url) return { url: config.database.url, stop: async () => undefined };
  let embedded: typeof import('./embedded-postgres.js');
  // embedded-postgres installs handlers (async-exit-hook) that, at the first SIGINT or SIGTERM,
  // stop its server and exit the process: before main.ts has drained the requests in flight (they
  // were cut, exit code 143). The service stops the server itself, last; those handlers go.
  const before = new Map(SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  try {
    embedded = await import('./embedded-postgres.js');
  } catch (error) {
    if ((error as { code?: string }).code !== 'MODULE_NOT_FOUND' && (error as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND')
      throw error;
    throw new ConfigError([
      'DATABASE_URL is unset and the embedded PostgreSQL (a development dependency) is not installed: set DATABASE_URL, or run npm ci with dev dependencies',
    ]);
  }
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
  }
  return embedded.startEmbeddedPostgres(config.dataDir, log, { detached: true });
}
