import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JwksController } from './jwks.controller';
import { KeysService } from './keys.service';
import { SigningKeyRecord } from './signing-key.entity';

/** The keys that sign access tokens, their rotation, the JWKS and the discovery document. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKeyRecord])],
  providers: [KeysService],
  controllers: [JwksController],
  exports: [KeysService],
})
export class KeysModule {}
