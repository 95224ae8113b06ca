import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OneTimeToken } from './one-time-token.entity';
import { ServiceClient } from './service-client.entity';
import { ServiceClientsService } from './service-clients.service';
import { Session } from './session.entity';
import { TokenPurgeScheduler } from './token-purge.scheduler';
import { TokensService } from './tokens.service';

@Module({
  imports: [TypeOrmModule.forFeature([Session, OneTimeToken, ServiceClient])],
  providers: [TokensService, TokenPurgeScheduler, ServiceClientsService],
  exports: [TokensService, ServiceClientsService],
})
export class TokensModule {}
