import 'reflect-metadata';
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
  await app.listen(0, '127.0.0.1');
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
