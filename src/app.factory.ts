import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { configureHttp } from './http';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';
import { setupDocs } from './docs';

/** The configured application, not yet listening: main.ts and the e2e tests both use it. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config, databaseUrl), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureHttp(app, {
    prefix: 'api',
    excludeFromPrefix: ['.well-known/jwks.json', '.well-known/openid-configuration'],
    trustProxy: config.trustProxy,
  });
  setupDocs(app);
  return app;
}
