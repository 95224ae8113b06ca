import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { type AppLogging, flushLogs, loggerModuleParams } from './http';
import { AccountModule } from './account/account.module';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions, runPendingMigrations } from './database/data-source';
import { HealthModule } from './health/health.module';
import { MailModule } from './mail/mail.module';
import { MetricsModule } from './metrics/metrics.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

const LOG_STREAM = Symbol('LOG_STREAM');

/** Drains the asynchronous log destination when the app closes, so the last lines are not lost. */
@Injectable()
class LogFlusher implements OnApplicationShutdown {
  constructor(@Inject(LOG_STREAM) private readonly stream: AppLogging['stream']) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.stream) await flushLogs(this.stream);
  }
}

@Module({})
export class AppModule {
  /**
   * `databaseUrl` is the configured DATABASE_URL or the embedded server's, resolved before boot;
   * `logging` the app's one logger (app.factory.ts also writes the request lines through it).
   */
  static register(config: AppConfig, databaseUrl: string, logging: AppLogging): DynamicModule {
    return {
      module: AppModule,
      providers: [{ provide: LOG_STREAM, useValue: logging.stream }, LogFlusher],
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerModuleParams(logging.logger)),
        // Migrations first, on their own connection: the app's pool has a request's deadline.
        TypeOrmModule.forRootAsync({
          useFactory: async () => {
            await runPendingMigrations(databaseUrl);
            return dataSourceOptions(databaseUrl);
          },
        }),
        UsersModule,
        TokensModule,
        MailModule,
        AuthModule,
        AccountModule,
        HealthModule,
        MetricsModule.register(config),
      ],
    };
  }
}
