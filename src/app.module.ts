import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import { httpLoggerParams } from './http';
import { AccountModule } from './account/account.module';
import { AuthModule } from './auth/auth.module';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions, runPendingMigrations } from './database/data-source';
import { HealthModule } from './health/health.module';
import { MailModule } from './mail/mail.module';
import { TokensModule } from './tokens/tokens.module';
import { UsersModule } from './users/users.module';

@Module({})
export class AppModule {
  /** `databaseUrl` is the configured DATABASE_URL or the embedded server's, resolved before boot. */
  static register(config: AppConfig, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(
          httpLoggerParams({
            level: config.logLevel === 'verbose' ? 'trace' : config.logLevel,
            pretty: config.logPretty,
          }),
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
      ],
    };
  }
}
