import { ConsoleLogger, INestApplication, LogLevel as NestLogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { configureHttp } from '../libs/http';
import { AppModule } from './app.module';
import type { AppConfig, LogLevel } from './config/config';
import { setupDocs } from './docs';

const NEST_LEVELS: Record<LogLevel, NestLogLevel[]> = {
  fatal: ['fatal'],
  error: ['fatal', 'error'],
  warn: ['fatal', 'error', 'warn'],
  info: ['fatal', 'error', 'warn', 'log'],
  debug: ['fatal', 'error', 'warn', 'log', 'debug'],
  verbose: ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'],
};

export function createLogger(config: AppConfig): ConsoleLogger {
  return new ConsoleLogger({ logLevels: NEST_LEVELS[config.logLevel], json: config.nodeEnv === 'production' });
}

/** The configured application, not yet listening: main.ts and the e2e tests both use it. */
export async function createApp(config: AppConfig, databaseUrl: string, logger = createLogger(config)): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config, databaseUrl), { bodyParser: false, logger });
  configureHttp(app, { prefix: 'api', excludeFromPrefix: ['.well-known/jwks.json'], trustProxy: config.trustProxy });
  setupDocs(app);
  return app;
}
