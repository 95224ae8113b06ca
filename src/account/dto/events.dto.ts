import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES, type EventRecord, type EventType } from '../../events/event.entity';
import { PageQueryDto } from './list-users.dto';

/** Paged like the user list (route 8). */
export class ListEventsQueryDto extends PageQueryDto {}

/** One entry of a user's security history (route 21). */
export class EventResponseDto {
  @ApiProperty({ format: 'uuid', description: 'the CloudEvents id of the same event on the broker' })
  id: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'user.logged_in' })
  type: EventType;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 64, example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ type: String, nullable: true, maxLength: 512, example: 'Mozilla/5.0 …' })
  user_agent: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { user_id: '3f0c2b9e-…', session_id: '9a1d…' } })
  data: Record<string, unknown>;
}

export function toEventResponse(event: EventRecord): EventResponseDto {
  return {
    id: event.id,
    type: event.type,
    created_at: event.createdAt.toISOString(),
    ip: event.ip,
    user_agent: event.userAgent,
    data: event.data,
  };
}
