import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { Public } from '../http';
import { JWKS_MAX_AGE_SECONDS, KeysService } from './keys.service';
import { ACCESS_TOKEN_ALGORITHM } from './signing-key';

/** Where the services that verify access tokens learn how: discovery (route 19) and the JWKS (route 16). */
@ApiTags('auth')
@Controller('.well-known')
export class JwksController {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly keys: KeysService,
  ) {}

  @Get('jwks.json')
  @Public()
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({
    summary: 'JWKS: the public keys that verify access tokens (ES256)',
    description: 'The signing key first, then the next key (published before it signs) and retired keys whose tokens may still live.',
  })
  @ApiOkResponse({
    schema: {
      example: { keys: [{ kty: 'EC', crv: 'P-256', x: '…', y: '…', kid: '…', alg: 'ES256', use: 'sig' }] },
    },
  })
  jwks() {
    return this.keys.jwks();
  }

  @Get('openid-configuration')
  @Public()
  @Header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
  @ApiOperation({ summary: 'Discovery metadata for services that verify access tokens (configure them with the issuer URL)' })
  @ApiOkResponse({
    schema: {
      example: {
        issuer: 'https://users.example.com',
        jwks_uri: 'https://users.example.com/.well-known/jwks.json',
        id_token_signing_alg_values_supported: ['ES256'],
        subject_types_supported: ['public'],
        introspection_endpoint: 'https://users.example.com/api/token/introspect',
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      },
    },
  })
  discovery() {
    const base = this.config.appUrl;
    return {
      issuer: this.config.auth.issuer,
      jwks_uri: `${base}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: [ACCESS_TOKEN_ALGORITHM],
      subject_types_supported: ['public'],
      introspection_endpoint: `${base}/api/token/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
    };
  }
}
