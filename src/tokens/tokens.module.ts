import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OneTimeToken } from './one-time-token.entity';
import { RefreshToken } from './refresh-token.entity';
import { Session } from './session.entity';
import { TokenPurgeScheduler } from './token-purge.scheduler';
import { TokensService } from './tokens.service';

@Module({
  imports: [TypeOrmModule.forFeature([Session, RefreshToken, OneTimeToken])],
  providers: [TokensService, TokenPurgeScheduler],
  exports: [TokensService],
})
export class TokensModule {}
