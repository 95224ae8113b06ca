import { Module } from '@nestjs/common';
import { APP_CONFIG } from '../config/config.module';
import { JwksController } from './jwks.controller';
import { loadSigningKeys, SIGNING_KEYS } from './signing-keys';

/** The keys that sign access tokens, and the JWKS that publishes their public halves. */
@Module({
  providers: [{ provide: SIGNING_KEYS, inject: [APP_CONFIG], useFactory: loadSigningKeys }],
  controllers: [JwksController],
  exports: [SIGNING_KEYS],
})
export class KeysModule {}
