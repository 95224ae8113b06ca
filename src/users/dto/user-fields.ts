import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateBy, ValidateIf } from 'class-validator';
import { IsPassword, MatchesField, maxLengthMessage, oneOfMessage } from '../../http';
import { isAcceptableEmail, normalizeEmail } from '../email';
import { GENDERS, ROLES } from '../user.entity';

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
const normaliseEmail = Transform(({ value }) => (typeof value === 'string' ? normalizeEmail(value) : value));

/**
 * An optional field of a partial update may be left out, but not sent as null: these columns
 * are NOT NULL, and IsOptional() would let null through to the database.
 */
const OmittableNotNull = () => ValidateIf((_object, value) => value !== undefined);

/** Emails are trimmed and lower-cased here and unique on lower(email) in the database. */
export const EmailField = (required = true) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'wanto10@gmail.com', maxLength: 254 })
      : ApiPropertyOptional({ example: 'wanto10@gmail.com', maxLength: 254 }),
    normaliseEmail,
    ...(required ? [IsNotEmpty()] : [OmittableNotNull(), IsNotEmpty()]),
    IsString(),
    MaxLength(254, { message: maxLengthMessage(254) }),
    ValidateBy({ name: 'isEmail', validator: { validate: (value: unknown) => typeof value === 'string' && isAcceptableEmail(value) } }),
  );

/** 8 characters to 72 bytes (bcrypt's limit); never trimmed. */
export const PasswordField = (required = true, description?: string) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'rahasia123', minLength: 8, maxLength: 72, description: description ?? '8 characters to 72 bytes (UTF-8)' })
      : ApiPropertyOptional({
          example: 'rahasia123',
          minLength: 8,
          maxLength: 72,
          description: description ?? '8 characters to 72 bytes (UTF-8)',
        }),
    ...(required ? [IsNotEmpty()] : [OmittableNotNull(), IsNotEmpty()]),
    IsString(),
    IsPassword(),
  );

/** Optional form: required as soon as `password` is sent. */
export const ConfirmationField = (required = true) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'rahasia123', maxLength: 72, description: 'must equal password' })
      : ApiPropertyOptional({ example: 'rahasia123', maxLength: 72, description: 'must equal password; required with password' }),
    ...(required
      ? [IsNotEmpty()]
      : [ValidateIf((object: { password?: unknown }, value) => value !== undefined || object.password !== undefined), IsNotEmpty()]),
    IsString(),
    MatchesField('password'),
  );

export const NameField = (required = true) =>
  applyDecorators(
    required ? ApiProperty({ example: 'Wanto', maxLength: 100 }) : ApiPropertyOptional({ example: 'Wanto', maxLength: 100 }),
    trim,
    ...(required ? [IsNotEmpty()] : [OmittableNotNull(), IsNotEmpty()]),
    IsString(),
    MaxLength(100, { message: maxLengthMessage(100) }),
    // PostgreSQL refuses NUL in text (a 500 otherwise); other control characters have no place in a name.
    ValidateBy({
      name: 'noControlCharacters',
      validator: { validate: (value: unknown) => typeof value !== 'string' || !/[\u0000-\u001f\u007f]/.test(value) },
    }),
  );

const PHONE = /^\+?[0-9]{8,15}$/;

/** Digits with an optional leading +, 8–15 long; spaces and dashes are dropped first. */
export const PhoneField = () =>
  applyDecorators(
    ApiPropertyOptional({
      type: String,
      nullable: true,
      maxLength: 32,
      pattern: '^\\+?[0-9 -]{8,31}$',
      example: '081234567890',
      description: '8–15 digits, optional leading +; spaces and dashes are dropped before checking',
    }),
    Transform(({ value }) => (typeof value === 'string' ? value.replace(/[\s-]/g, '') : value)),
    IsOptional(),
    IsString(),
    ValidateBy({ name: 'isPhone', validator: { validate: (value: unknown) => typeof value === 'string' && PHONE.test(value) } }),
  );

export const GenderField = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: GENDERS, nullable: true, example: 'Laki-laki' }),
    IsOptional(),
    IsIn(GENDERS, { message: oneOfMessage(GENDERS) }),
  );

export const RoleField = () =>
  applyDecorators(
    ApiPropertyOptional({ enum: ROLES, description: 'admin only' }),
    OmittableNotNull(),
    IsIn(ROLES, { message: oneOfMessage(ROLES) }),
  );
