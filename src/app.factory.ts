import { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { configureBrowsers, configureHttp, pageSettings } from './http';
import { AppModule } from './app.module';
import type { AppConfig } from './config/config';
import { setupDocs } from './docs';
import { activationResendAction, passwordForgotAction, passwordResetAction } from './auth/links';

/** The configured application, not yet listening: main.ts and the e2e tests both use it. */
export async function createApp(config: AppConfig, databaseUrl: string): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule.register(config, databaseUrl), { bodyParser: false, bufferLogs: true });
  app.useLogger(app.get(Logger));
  configureBrowsers(app, {
    corsOrigins: config.cors.origins,
    corsLocalhost: config.cors.localhost,
    formActionOrigins: [new URL(config.appUrl).origin],
    docsPath: 'docs',
  });
  app.use(
    pageSettings({
      loginUrl: config.auth.loginUrl,
      resetPasswordAction: passwordResetAction(config),
      resendActivationAction: activationResendAction(config),
      forgotPasswordAction: passwordForgotAction(config),
    }),
  );
  configureHttp(app, {
    prefix: 'api',
    excludeFromPrefix: ['.well-known/jwks.json', '.well-known/openid-configuration'],
    trustProxy: config.trustProxy,
  });
  setupDocs(app);
  return app;
}
