import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import { EVENT_TYPES, type EventRecord, type EventType } from '../../events/event.entity';
import { wholeNumber } from './list-users.dto';

/** Paged like the user list (route 8). */
export class ListEventsQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @wholeNumber(1)
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  page: number = 1;

  @ApiPropertyOptional({
    type: 'integer',
    format: 'int64',
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 20,
    example: 20,
    description: 'above 100 is clamped to 100',
  })
  @wholeNumber(20)
  @IsOptional()
  @IsInt()
  @Min(1)
  limit: number = 20;
}

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
