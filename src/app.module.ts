import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { asyncStdout, flushLogs, httpLoggerParams } from './http';
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
  constructor(@Inject(LOG_STREAM) private readonly stream: ReturnType<typeof asyncStdout> | undefined) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.stream) await flushLogs(this.stream);
  }
}

@Module({})
export class AppModule {
  /** `databaseUrl` is the configured DATABASE_URL or the embedded server's, resolved before boot. */
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    const logStream = config.logPretty ? undefined : asyncStdout();
    return {
      module: AppModule,
      providers: [{ provide: LOG_STREAM, useValue: logStream }, LogFlusher],
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(
          httpLoggerParams(
            {
              level: config.logLevel === 'verbose' ? 'trace' : config.logLevel,
              pretty: config.logPretty,
            },
            logStream,
          ),
        ),
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
