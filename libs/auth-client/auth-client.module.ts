import { DynamicModule, Inject, Logger, Module, OnApplicationBootstrap, OnModuleDestroy, Provider } from '@nestjs/common';
import { AccessTokenVerifier } from './access-token.verifier';
import { AuthClientGuard } from './auth-client.guard';
import {
  AUTH_CLIENT_OPTIONS,
  DEFAULT_CLOCK_TOLERANCE_SECONDS,
  DEFAULT_EXCHANGE,
  type AuthClientModuleAsyncOptions,
  type AuthClientModuleOptions,
} from './auth-client.options';
import { RevocationList } from './revocation-list';

/**
 * Verification of the user service's access tokens for the other services. Global, so the
 * guard can be an APP_GUARD of the importing app without re-importing the module anywhere.
 */
@Module({})
export class AuthClientModule implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuthClient');

  constructor(
    @Inject(AUTH_CLIENT_OPTIONS) private readonly options: AuthClientModuleOptions,
    private readonly revocations: RevocationList,
  ) {}

  static forRoot(options: AuthClientModuleOptions): DynamicModule {
    return AuthClientModule.build({ provide: AUTH_CLIENT_OPTIONS, useValue: checked(options) });
  }

  static forRootAsync(options: AuthClientModuleAsyncOptions): DynamicModule {
    const provider: Provider = {
      provide: AUTH_CLIENT_OPTIONS,
      useFactory: async (...args: never[]) => checked(await options.useFactory(...args)),
      inject: options.inject ?? [],
    };
    return AuthClientModule.build(provider, options.imports);
  }

  private static build(optionsProvider: Provider, imports: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AuthClientModule,
      global: true,
      imports,
      providers: [
        optionsProvider,
        {
          provide: RevocationList,
          useFactory: (options: AuthClientModuleOptions) =>
            new RevocationList({
              maxTokenLifetimeSeconds: options.revocation?.maxTokenLifetimeSeconds,
              clockToleranceSeconds: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
            }),
          inject: [AUTH_CLIENT_OPTIONS],
        },
        {
          provide: AccessTokenVerifier,
          useFactory: (options: AuthClientModuleOptions, revocations: RevocationList) => new AccessTokenVerifier(options, revocations),
          inject: [AUTH_CLIENT_OPTIONS, RevocationList],
        },
        AuthClientGuard,
      ],
      exports: [AUTH_CLIENT_OPTIONS, AccessTokenVerifier, RevocationList, AuthClientGuard],
    };
  }

  /** Not awaited: the app starts while the broker is away; tokens still verify by signature meanwhile. */
  onApplicationBootstrap(): void {
    const revocation = this.options.revocation;
    if (!revocation) return;
    this.revocations.consume(revocation.amqpUrl, revocation.exchange ?? DEFAULT_EXCHANGE, revocation.queue).catch((error: Error) => {
      if (error.message !== 'Connection closed') this.logger.error(`revocation events: ${error.message}`);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.revocations.close();
  }
}

function checked(options: AuthClientModuleOptions): AuthClientModuleOptions {
  const issuer = URL.canParse(options?.issuer) ? new URL(options.issuer) : undefined;
  if (!issuer || !['http:', 'https:'].includes(issuer.protocol)) {
    throw new Error(`AuthClientModule: issuer must be an http(s) URL, got ${JSON.stringify(options?.issuer)}`);
  }
  return options;
}
