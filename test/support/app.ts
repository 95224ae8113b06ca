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
  /** Waits until every mail and mail request written since the app started has been delivered (by any app). */
  mailSettled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * One SMTP server for every app of a test file: apps share the run's database and so its mail
 * outbox, and any app's worker may deliver a mail another app wrote (as instances do in production).
 */
let sharedSmtp: { server: Promise<TestSmtpServer>; users: number } | undefined;

async function acquireSharedSmtp(): Promise<{ smtp: TestSmtpServer; release: () => Promise<void> }> {
  sharedSmtp ??= { server: new TestSmtpServer().start(), users: 0 };
  const shared = sharedSmtp;
  shared.users += 1;
  const smtp = await shared.server;
  return {
    smtp,
    release: async () => {
      shared.users -= 1;
      if (shared.users === 0 && sharedSmtp === shared) {
        sharedSmtp = undefined;
        await smtp.stop();
      }
    },
  };
}

/**
 * Boots the real AppModule against the run's PostgreSQL, with a real SMTP server, listening on a
 * loopback port. `env` overrides the environment the configuration is read from. The SMTP server
 * is the file's shared one unless `options.smtp` names another (which the caller then stops).
 */
export async function startTestApp(env: Record<string, string> = {}, options: { smtp?: TestSmtpServer } = {}): Promise<TestApp> {
  const { smtp, release } = options.smtp ? { smtp: options.smtp, release: async () => undefined } : await acquireSharedSmtp();
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
      await release();
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
