import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventRecord } from './event.entity';
import { EventsRelay } from './events.relay';
import { EventsService } from './events.service';

/** The event log (audit, route 21) and its relay to RabbitMQ. */
@Module({
  imports: [TypeOrmModule.forFeature([EventRecord])],
  providers: [EventsService, EventsRelay],
  exports: [EventsService],
})
export class EventsModule {}
