import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../http';
import { SIGNING_KEYS, type SigningKeys } from './signing-keys';

/** Public keys that verify access tokens, for services that check tokens offline. */
@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(@Inject(SIGNING_KEYS) private readonly keys: SigningKeys) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', 'public, max-age=3600')
  @ApiOperation({ summary: 'JWKS: the public key(s) that verify access tokens (ES256)' })
  @ApiOkResponse({
    schema: {
      example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }] },
    },
  })
  jwks() {
    return { keys: [this.keys.publicJwk] };
  }
}
