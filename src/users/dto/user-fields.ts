import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, ValidateBy } from 'class-validator';
import { IsPassword, MatchesField, maxLengthMessage, oneOfMessage } from '../../../libs/http';
import { GENDERS, ROLES } from '../user.entity';

const trim = Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));
const normaliseEmail = Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value));

/** Emails are trimmed and lower-cased here and unique on lower(email) in the database. */
export const EmailField = (required = true) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'wanto10@gmail.com', maxLength: 254 })
      : ApiPropertyOptional({ example: 'wanto10@gmail.com', maxLength: 254 }),
    normaliseEmail,
    ...(required ? [IsNotEmpty()] : [IsOptional()]),
    IsString(),
    MaxLength(254, { message: maxLengthMessage(254) }),
    IsEmail({}),
  );

/** 8 characters to 72 bytes (bcrypt's limit); never trimmed. */
export const PasswordField = (required = true, description?: string) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'rahasia123', minLength: 8, description: description ?? '8 characters to 72 bytes (UTF-8)' })
      : ApiPropertyOptional({ example: 'rahasia123', minLength: 8, description: description ?? '8 characters to 72 bytes (UTF-8)' }),
    ...(required ? [IsNotEmpty()] : [IsOptional()]),
    IsString(),
    IsPassword(),
  );

export const ConfirmationField = (required = true) =>
  applyDecorators(
    required
      ? ApiProperty({ example: 'rahasia123', description: 'must equal password' })
      : ApiPropertyOptional({ example: 'rahasia123', description: 'must equal password' }),
    ...(required ? [IsNotEmpty()] : [IsOptional()]),
    IsString(),
    MatchesField('password'),
  );

export const NameField = (required = true) =>
  applyDecorators(
    required ? ApiProperty({ example: 'Wanto', maxLength: 100 }) : ApiPropertyOptional({ example: 'Wanto', maxLength: 100 }),
    trim,
    ...(required ? [IsNotEmpty()] : [IsOptional(), IsNotEmpty()]),
    IsString(),
    MaxLength(100, { message: maxLengthMessage(100) }),
  );

const PHONE = /^\+?[0-9]{8,15}$/;

/** Digits with an optional leading +, 8–15 long; spaces and dashes are dropped first. */
export const PhoneField = () =>
  applyDecorators(
    ApiPropertyOptional({ type: String, nullable: true, example: '081234567890', description: '8–15 digits, optional leading +' }),
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
    IsOptional(),
    IsIn(ROLES, { message: oneOfMessage(ROLES) }),
  );
