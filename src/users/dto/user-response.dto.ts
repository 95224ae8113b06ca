import { ApiProperty } from '@nestjs/swagger';
import { GENDERS, ROLES, type Gender, type Role, type User } from '../user.entity';

/** The user object of the contract: exactly these fields, never a hash or a token. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid', maxLength: 36, example: '3f0c2b9e-8f7a-4c1e-9d2a-6b5e4a3c2d1f' })
  id: string;

  @ApiProperty({ minLength: 1, maxLength: 100, example: 'Wanto' })
  name: string;

  @ApiProperty({ format: 'email', maxLength: 254, example: 'wanto10@gmail.com' })
  email: string;

  @ApiProperty({ type: String, nullable: true, maxLength: 16, pattern: '^\\+?[0-9]{8,15}$', example: '081234567890' })
  no_tlp: string | null;

  @ApiProperty({ enum: GENDERS, nullable: true, example: 'Laki-laki' })
  gender: Gender | null;

  @ApiProperty({ enum: ROLES, example: 'customer' })
  role: Role;

  @ApiProperty({ example: false })
  is_active: boolean;

  @ApiProperty({ format: 'date-time', maxLength: 32, example: '2026-12-01T08:15:00.000Z' })
  created_at: string;

  @ApiProperty({ format: 'date-time', maxLength: 32, example: '2026-12-01T08:15:00.000Z' })
  updated_at: string;
}

export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    name: user.name,
    email: user.email,
    no_tlp: user.noTlp,
    gender: user.gender,
    role: user.role,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
    updated_at: user.updatedAt.toISOString(),
  };
}
