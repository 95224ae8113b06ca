import { ApiProperty } from '@nestjs/swagger';
import type { Session } from '../../tokens/session.entity';

/** One of the caller's live sessions (route 17): enough to recognise a device, nothing secret. */
export class SessionResponseDto {
  @ApiProperty({
    format: 'uuid',
    description: 'the session id: the `sid` claim of its access tokens',
    example: '9b2f6c1e-2d4a-4f8b-a1c3-5e7d9f0b1a2c',
  })
  id: string;

  @ApiProperty({ format: 'date-time', description: 'login time', example: '2026-12-01T08:15:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', description: 'login or the latest refresh (not every request)', example: '2026-12-01T09:40:12.000Z' })
  last_used_at: string;

  @ApiProperty({
    type: String,
    nullable: true,
    maxLength: 512,
    description: 'the User-Agent header at login (cut to 512 characters)',
    example: 'Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36',
  })
  user_agent: string | null;

  @ApiProperty({ type: String, nullable: true, maxLength: 64, description: 'the client address at login', example: '203.0.113.7' })
  ip: string | null;

  @ApiProperty({ description: 'true for the session of the access token making this request', example: true })
  current: boolean;
}

export function toSessionResponse(session: Session, currentSessionId: string): SessionResponseDto {
  return {
    id: session.id,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    user_agent: session.userAgent,
    ip: session.ip,
    current: session.id === currentSessionId,
  };
}
