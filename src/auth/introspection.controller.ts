import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AcceptsForm, type HttpReply, type HttpRequest, Public } from '../http';
import { KeysService } from '../keys/keys.service';
import { ServiceClientsService } from '../tokens/service-clients.service';
import { TokensService } from '../tokens/tokens.service';

const INACTIVE = { active: false } as const;

/**
 * RFC 7662 token introspection (route 20) for services that cannot wait for a token's `exp`.
 * This route alone answers in the RFC's shape rather than the envelope, so it writes its own
 * responses; a service client authenticates with HTTP Basic.
 */
@ApiTags('auth')
@Controller('token')
export class IntrospectionController {
  constructor(
    private readonly keys: KeysService,
    private readonly tokens: TokensService,
    private readonly clients: ServiceClientsService,
  ) {}

  @Post('introspect')
  @Public()
  @AcceptsForm()
  @HttpCode(200)
  @ApiBasicAuth()
  @ApiOperation({
    summary: 'Is this access token live? (RFC 7662, for service clients)',
    description:
      'HTTP Basic with a service client (`npm run client:create -- <name>`). `{active: false}` for a refresh token, junk, ' +
      'an expired token or one whose session ended. Not in the envelope: the RFC’s shape.',
  })
  @ApiConsumes('application/x-www-form-urlencoded')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['token'],
      properties: {
        token: { type: 'string', maxLength: 8192 },
        token_type_hint: {
          type: 'string',
          maxLength: 64,
          description: 'ignored (RFC 7662 allows that): only access tokens are ever active',
        },
      },
    },
  })
  @ApiOkResponse({
    schema: {
      example: {
        active: true,
        sub: '3f0c2b9e-…',
        role: 'customer',
        sid: '9a1d…',
        exp: 1767225600,
        iat: 1767224700,
        iss: 'https://users.example.com',
        aud: 'alat-berat',
        token_type: 'access_token',
      },
    },
  })
  @ApiResponse({ status: 401, description: 'no or wrong client credential', schema: { example: { error: 'invalid_client' } } })
  async introspect(@Req() request: HttpRequest, @Res() reply: HttpReply): Promise<void> {
    reply.header('Cache-Control', 'no-store').type('application/json; charset=utf-8');
    const client = parseBasic(request.headers.authorization);
    if (!client || !(await this.clients.authenticate(client.id, client.secret))) {
      reply.code(401).header('WWW-Authenticate', 'Basic realm="introspection", charset="UTF-8"');
      reply.send({ error: 'invalid_client' });
      return;
    }
    const token = (request.body as Record<string, unknown> | undefined)?.token;
    if (typeof token !== 'string' || token === '') {
      reply.code(400).send({ error: 'invalid_request' });
      return;
    }
    reply.send(await this.inspect(token));
  }

  private async inspect(token: string): Promise<Record<string, unknown>> {
    if (token.length > 8192) return INACTIVE;
    const claims = await this.keys.verify(token);
    if (!claims || claims.typ !== 'access' || typeof claims.sub !== 'string' || typeof claims.sid !== 'string') return INACTIVE;
    if (!(await this.tokens.isSessionActive(claims.sid, claims.sub))) return INACTIVE;
    const { sub, role, sid, exp, iat, iss, aud } = claims;
    return { active: true, sub, role, sid, exp, iat, iss, aud, token_type: 'access_token' };
  }
}

/** RFC 6749 §2.3.1: Basic base64(urlencode(id) ":" urlencode(secret)). */
function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
