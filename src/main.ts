import { startServing } from './heap-flags';
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/config';
import { resolveDatabase } from './database/database-url';
import { drainable } from './http';

/** Requests in flight get this long to finish after SIGTERM / SIGINT (API.md "Operation"). */
const DRAIN_MS = 10_000;

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const log = new Logger('Bootstrap');
  const database = await resolveDatabase(config, (line) => log.log(line));
  const app = await createApp(config, database.url);
  const drain = drainable(app.getHttpServer() as Server);
  // Our own handler rather than app.enableShutdownHooks(): Nest's close() runs the modules'
  // destroy hooks before it closes the HTTP server, and the server must drain first.
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return log.log(`${signal}: already stopping`); // npm start forwards Ctrl-C once more
    stopping = true;
    const started = Date.now();
    setTimeout(() => process.exit(1), DRAIN_MS + 10_000).unref(); // a hung database must not keep us forever
    log.log(`${signal}: no new connections; finishing the requests in flight`);
    if (!(await drain(DRAIN_MS))) {
      log.warn(`requests still running after ${DRAIN_MS} ms were cut`);
    }
    // The outbox worker after its current mail, the database pool, then the hashing pool.
    await app.close();
    await database.stop();
    log.log(`stopped in ${Date.now() - started} ms`);
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Every interface, as a container needs (Fastify alone would listen on localhost only): IPv6 and
  // IPv4 where the host has IPv6, else IPv4 alone, as Node's own default does.
  await app.listen(config.port, '::').catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EAFNOSUPPORT' && error.code !== 'EADDRNOTAVAIL') throw error;
    return app.listen(config.port, '0.0.0.0');
  });
  startServing();
  log.log(`listening on ${config.appUrl} (port ${config.port}); Swagger UI at ${config.appUrl}/docs`);
}

bootstrap().catch((error) => {
  // A configuration problem is the operator's to fix: say what it is, without a stack trace.
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
