import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  Logger,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AccessTokenVerifier, type AuthClientUser } from './access-token.verifier';
import { IS_PUBLIC, REQUIRE_LIVE_SESSION, ROLES } from './decorators';
import { IssuerUnavailableError, TokenRefusedError } from './errors';

interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthClientUser;
}

/** Express's response has setHeader, Fastify's reply has header. */
interface HeaderSink {
  setHeader?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/** RFC 6750 §2.1: `Bearer` and a b64token; whether it is a JWT is the verifier's call. */
const BEARER = /^Bearer +([\w\-.~+/]+=*)$/i;

/**
 * Every HTTP route needs a valid access token unless it is @Public(); @Roles and
 * @RequireLiveSession add to that. Register it as APP_GUARD, or per controller with @UseGuards.
 * Non-HTTP handlers (microservice messages, websockets) carry no Authorization header and are
 * left alone: use AccessTokenVerifier there.
 */
@Injectable()
export class AuthClientGuard implements CanActivate {
  private readonly logger = new Logger('AuthClient');

  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: AccessTokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC, targets)) return true;
    const http = context.switchToHttp();
    const request = http.getRequest<GuardedRequest>();
    const header = request.headers.authorization;
    const token = typeof header === 'string' ? BEARER.exec(header)?.[1] : undefined;
    if (!token) throw this.unauthorized(http.getResponse(), 'Bearer', 'no bearer token');

    try {
      const user = await this.verifier.verify(token);
      if (this.reflector.getAllAndOverride<boolean | undefined>(REQUIRE_LIVE_SESSION, targets)) {
        if (!(await this.verifier.isSessionLive(token, user))) throw new TokenRefusedError('session is not live (introspection)');
      }
      request.user = user;
    } catch (error) {
      if (error instanceof TokenRefusedError) throw this.unauthorized(http.getResponse(), 'Bearer error="invalid_token"', error.message);
      if (error instanceof IssuerUnavailableError) {
        this.logger.error(`cannot verify tokens: ${error.message}`);
        throw new ServiceUnavailableException();
      }
      throw error;
    }

    const roles = this.reflector.getAllAndOverride<string[] | undefined>(ROLES, targets);
    if (roles?.length && !roles.includes(request.user.role)) throw new ForbiddenException();
    return true;
  }

  /** RFC 6750 §3: a 401 names the scheme; the reason goes to the debug log, not to the client. */
  private unauthorized(response: HeaderSink, challenge: string, reason: string): UnauthorizedException {
    if (typeof response.setHeader === 'function') response.setHeader('WWW-Authenticate', challenge);
    else response.header?.('WWW-Authenticate', challenge);
    this.logger.debug(`token refused: ${reason}`);
    return new UnauthorizedException();
  }
}
