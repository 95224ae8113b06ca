import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency } from '@nestjs/common';

export interface AuthClientModuleOptions {
  /** The user service's issuer URL: the tokens' `iss`; discovery is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /** Expected `aud` (default "alat-berat"). */
  audience?: string;
  /** A service client of the user service; needed only by @RequireLiveSession routes. */
  introspection?: { clientId: string; clientSecret: string };
  /** Refuse revoked sessions and users before their tokens expire, from the user service's events. */
  revocation?: RevocationOptions;
  /** Leeway for `exp`/`nbf`/`iat` against this host's clock (default 5). */
  clockToleranceSeconds?: number;
  /** At most one JWKS refetch for unknown `kid`s per this interval (default 60000). */
  jwksMinRefetchIntervalMs?: number;
}

export interface RevocationOptions {
  amqpUrl: string;
  /** Default "alat-berat.events". */
  exchange?: string;
  /** A named durable queue keeps the events sent while this service is down; default a private auto-delete one. */
  queue?: string;
  /**
   * The longest access-token lifetime the user service issues (its JWT_ACCESS_TTL; default 900).
   * Entries are forgotten after it, and longer-lived tokens are refused, so the list stays bounded.
   */
  maxTokenLifetimeSeconds?: number;
}

export interface AuthClientModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: Array<InjectionToken | OptionalFactoryDependency>;
  // `never[]` accepts a factory with any parameter types; the values are whatever `inject` names.
  useFactory: (...args: never[]) => AuthClientModuleOptions | Promise<AuthClientModuleOptions>;
}

export const AUTH_CLIENT_OPTIONS = Symbol('AUTH_CLIENT_OPTIONS');

export const DEFAULT_AUDIENCE = 'alat-berat';
export const DEFAULT_EXCHANGE = 'alat-berat.events';
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 5;
export const DEFAULT_JWKS_MIN_REFETCH_INTERVAL_MS = 60_000;
export const DEFAULT_MAX_TOKEN_LIFETIME_SECONDS = 15 * 60;
