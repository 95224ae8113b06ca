import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { TypeOrmModule } from '@nestjs/typeorm';
import { JwksController } from './jwks.controller';
import { KeysService } from './keys.service';
import { SigningKeyRecord } from './signing-key.entity';

/** The keys that sign access tokens, their rotation, the JWKS and the discovery document. */
@Module({
  // JwtModule without a key: every signature names the current signing key itself (rotation).
  imports: [TypeOrmModule.forFeature([SigningKeyRecord]), JwtModule.register({})],
  providers: [KeysService],
  controllers: [JwksController],
  exports: [KeysService],
})
export class KeysModule {}
