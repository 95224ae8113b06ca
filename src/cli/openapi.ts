import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { createApp } from '../app.factory';
import { loadConfig } from '../config/config';
import { resolveDatabase } from '../database/database-url';
import { documentOf, normaliseDocument } from '../docs';

/**
 * `npm run openapi [-- <file>]`: writes the OpenAPI document the app serves at /docs-json to
 * openapi.json (keys sorted, so diffs show only real changes). The app is booted, not listening;
 * AppModule needs its database: DATABASE_URL, or the embedded one under .data/.
 */
async function main(): Promise<void> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'error' });
  const database = await resolveDatabase(config, (line) => console.error(line));
  const app = await createApp(config, database.url);
  try {
    const file = path.resolve(process.argv[2] ?? 'openapi.json');
    writeFileSync(file, `${JSON.stringify(normaliseDocument(documentOf(app)), null, 2)}\n`);
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  } finally {
    await app.close();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
