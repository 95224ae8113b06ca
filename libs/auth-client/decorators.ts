import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { AuthClientUser } from './access-token.verifier';

export const IS_PUBLIC = 'auth-client:public';
export const ROLES = 'auth-client:roles';
export const REQUIRE_LIVE_SESSION = 'auth-client:live-session';

/** The route needs no access token. Every other route behind AuthClientGuard does. */
export const Public = () => SetMetadata(IS_PUBLIC, true);

/** Only callers with one of these roles may use the route (403 otherwise). */
export const Roles = (...roles: string[]) => SetMetadata(ROLES, roles);

/**
 * The route also asks the user service (introspection) whether the token's session is still
 * live, so a logout or revocation is honoured within seconds rather than at `exp`. Costs a call
 * to the user service per token every 2 s; needs the module's `introspection` credentials.
 */
export const RequireLiveSession = () => SetMetadata(REQUIRE_LIVE_SESSION, true);

/** The caller AuthClientGuard verified (undefined on @Public routes). */
export const CurrentUser = createParamDecorator((_: unknown, context: ExecutionContext): AuthClientUser | undefined => {
  return context.switchToHttp().getRequest<{ user?: AuthClientUser }>().user;
});
