import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, Min } from 'class-validator';
import { MaxChars } from '../../http';

/**
 * Query strings arrive as text: whole numbers become numbers, an empty value means "not given",
 * anything else ("abc", "1.5", a repeated parameter) stays as sent so IsInt reports it per field.
 */
export const wholeNumber = (fallback: number) =>
  Transform(({ value }) => {
    if (value === '') return fallback;
    return typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  });

/** `?page=&limit=` as the user list (route 8) and the events (route 21) read them. */
export class PageQueryDto {
  @ApiPropertyOptional({ type: 'integer', format: 'int32', minimum: 1, maximum: 1_000_000, default: 1, example: 1 })
  @wholeNumber(1)
  @IsOptional()
  @IsInt()
  @Min(1)
  // Keeps OFFSET (page × limit) a plain integer for PostgreSQL.
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

export class ListUsersQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: 'wanto', maxLength: 100, description: 'matches name or email, case-insensitively' })
  // Control characters become spaces: PostgreSQL refuses NUL, and the newline separates name from email in the index.
  @Transform(({ value }) => (typeof value === 'string' ? value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim() : value))
  @IsOptional()
  @IsString()
  @MaxChars(100)
  search?: string;
}
