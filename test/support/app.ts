import 'reflect-metadata';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { inject } from 'vitest';
import { createApp } from '../../src/app.factory';
import { loadConfig, type AppConfig } from '../../src/config/config';
import { MailService } from '../../src/mail/mail.service';
import { TestSmtpServer } from './smtp';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  smtp: TestSmtpServer;
  /** Base URL of the listening app (real HTTP on loopback). */
  url: string;
  http: ReturnType<typeof request>;
  /** Waits until every mail the app queued has been handed to the SMTP server. */
  mailSettled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Boots the real AppModule against the run's PostgreSQL, with a real SMTP server, listening on a
 * loopback port. `env` overrides the environment the configuration is read from.
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const smtp = await new TestSmtpServer().start();
  const dataDir = await mkdtemp(path.join(tmpdir(), 'alat-berat-app-'));
  const config = loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    SMTP_URL: smtp.url,
    APP_URL: 'http://localhost:3000',
    BCRYPT_COST: '4',
    RATE_LIMIT_PER_MINUTE: '0',
    LOG_LEVEL: 'error',
    ...env,
  });
  const app = await createApp(config, config.database.url ?? inject('databaseUrl'));
  // A given PORT is listened on (a browser test needs APP_URL to be the real address); else any free port.
  await app.listen(env.PORT ? config.port : 0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const mail = app.get(MailService);
  return {
    app,
    config,
    smtp,
    url,
    http: request(url),
    mailSettled: () => mail.idle(),
    async close() {
      await app.close();
      await smtp.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

// Kept here too: the names specs have always imported from './support/app'.
export { PASSWORD, uniqueEmail } from './fixtures';
export { registerActiveUser } from './accounts';

/** A free loopback port, for an app whose APP_URL (and so its issuer) must name its real address. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The env of an app reachable at its own issuer URL: `startTestApp(await selfIssuedEnv())`. */
export async function selfIssuedEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const port = await freePort();
  return { PORT: String(port), APP_URL: `http://127.0.0.1:${port}`, ...extra };
}
