export * from './access-token.verifier';
export * from './auth-client.guard';
export * from './auth-client.module';
export {
  AUTH_CLIENT_OPTIONS,
  DEFAULT_AUDIENCE,
  DEFAULT_EXCHANGE,
  type AuthClientModuleAsyncOptions,
  type AuthClientModuleOptions,
  type RevocationOptions,
} from './auth-client.options';
export { CurrentUser, Public, RequireLiveSession, Roles } from './decorators';
export * from './errors';
export { INTROSPECTION_CACHE_MS, type IntrospectionResult } from './introspection';
export * from './revocation-list';
