import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { resolveDatabase } from './database/database-url';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const log = new Logger('Bootstrap');
  const database = await resolveDatabase(config, (line) => log.log(line));
  const app = await createApp(config, database.url);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.log(`${signal}: closing`);
    await app.close();
    await database.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  await app.listen(config.port);
  log.log(`listening on ${config.appUrl} (port ${config.port}); Swagger UI at ${config.appUrl}/docs`);
}

bootstrap().catch((error) => {
  // A configuration problem is the operator's to fix: say what it is, without a stack trace.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
