import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import {
  configureBrowsers,
  configureHttp,
  createHttpAdapter,
  createLogging,
  logRequests,
  usePageSettings,
  type HttpSetupOptions,
} from './http';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';
import { setupDocs } from './docs';
import { activationResendAction, passwordForgotAction, passwordResetAction } from './auth/links';

/** The configured application, not yet listening: main.ts and the e2e tests both use it. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<NestFastifyApplication> {
  const http: HttpSetupOptions = {
    prefix: 'api',
    excludeFromPrefix: ['.well-known/jwks.json', '.well-known/openid-configuration'],
    trustProxy: config.trustProxy,
  };
  // Fastify rather than Express: under load the Express adapter and its router were the largest
  // single cost of an authenticated request (README, "Performance").
  const logging = createLogging({ level: config.logLevel === 'verbose' ? 'trace' : config.logLevel, pretty: config.logPretty });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, databaseUrl, logging), createHttpAdapter(http), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  logRequests(app, logging.logger);
  configureBrowsers(app, {
    corsOrigins: config.cors.origins,
    corsLocalhost: config.cors.localhost,
    formActionOrigins: [new URL(config.appUrl).origin],
    docsPath: 'docs',
  });
  usePageSettings(app, {
    loginUrl: config.auth.loginUrl,
    resetPasswordAction: passwordResetAction(config),
    resendActivationAction: activationResendAction(config),
    forgotPasswordAction: passwordForgotAction(config),
  });
  configureHttp(app, http);
  setupDocs(app);
  return app;
}
