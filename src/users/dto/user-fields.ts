import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsOptional, IsString, ValidateBy, ValidateIf } from 'class-validator';
import { IsPassword, MatchesField, MaxChars, OmittableNotNull, oneOfMessage } from '../../http';
import { EMAIL_MAX_LENGTH, isAcceptableEmail, normalizeEmail } from '../email';
import { GENDERS, ROLES } from '../user.entity';

/** Trimmed and NFC-normalised: what is stored is what was counted. */
const trimNfc = Transform(({ value }) => (typeof value === 'string' ? value.trim().normalize('NFC') : value));

export const NAME_MAX_LENGTH = 100;

/**
 * Not in a name: control characters (C0, DEL, C1; PostgreSQL refuses NUL outright), zero-width
 * and bidirectional controls (U+200B–U+200F, U+202A–U+202E, U+2060, U+2066–U+2069, U+FEFF), line
 * and paragraph separators, and lone surrogates (not text; they cannot be stored as UTF-8).
 */
const FORBIDDEN_IN_NAME = /[\p{Cc}\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]|[\ud800-\udfff]/u;

export function isAcceptableName(value: string): boolean {
  return !FORBIDDEN_IN_NAME.test(value);
}
const normaliseEmail = Transform(({ value }) => (typeof value === 'string' ? normalizeEmail(value) : value));

const EMAIL_DOC = {
  example: 'wanto10@gmail.com',
  maxLength: EMAIL_MAX_LENGTH,
  description: 'local@domain: an ASCII dot-atom local part, a host-name domain (internationalised names allowed, no IP literal)',
};

/** Emails are trimmed, NFC-normalised and lower-cased here and unique on lower(email) in the database. */
export const EmailField = (required = true) =>
  applyDecorators(
    required ? ApiProperty(EMAIL_DOC) : ApiPropertyOptional(EMAIL_DOC),
    normaliseEmail,
    ...(required ? [IsNotEmpty()] : [OmittableNotNull(), IsNotEmpty()]),
    IsString(),
    MaxChars(EMAIL_MAX_LENGTH),
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

const NAME_DOC = {
  example: 'Wanto',
  minLength: 1,
  maxLength: NAME_MAX_LENGTH,
  description: 'counted in Unicode code points after NFC; no control, zero-width or bidirectional-override characters',
};

/** 1–100 code points after trimming and NFC (as varchar(100) counts them), stored in that form. */
export const NameField = (required = true) =>
  applyDecorators(
    required ? ApiProperty(NAME_DOC) : ApiPropertyOptional(NAME_DOC),
    trimNfc,
    ...(required ? [IsNotEmpty()] : [OmittableNotNull(), IsNotEmpty()]),
    IsString(),
    MaxChars(NAME_MAX_LENGTH),
    ValidateBy({ name: 'isName', validator: { validate: (value: unknown) => typeof value !== 'string' || isAcceptableName(value) } }),
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
