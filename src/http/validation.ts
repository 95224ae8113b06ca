import { ParseUUIDPipe, ValidationError, ValidationPipe } from '@nestjs/common';
import { ValidateBy, ValidationArguments, ValidationOptions } from 'class-validator';
import { ValidationFailedError } from './app-error';
import type { MessageKey, MessageRef } from './messages';

/** class-validator constraint name → message; the first failing constraint of a field wins. */
const CONSTRAINT_MESSAGES: Record<string, MessageKey> = {
  isDefined: 'v_required',
  isNotEmpty: 'v_required',
  isString: 'v_string',
  isEmail: 'v_email',
  maxLength: 'v_max_length',
  passwordMinLength: 'v_password_min',
  passwordMaxBytes: 'v_password_max',
  matchesField: 'v_confirmation',
  isIn: 'v_one_of',
  isEnum: 'v_one_of',
  isBoolean: 'v_boolean',
  isInt: 'v_int',
  min: 'v_int',
  max: 'v_int',
  isPhone: 'v_phone',
  isUUID: 'v_uuid',
  whitelistValidation: 'v_unknown_field',
  unknownValue: 'v_body_object',
};

/** Order in which constraints are reported: "required" beats "not a string" beats the rest. */
const PRIORITY = ['whitelistValidation', 'isDefined', 'isNotEmpty', 'isString'];

function toReason(error: ValidationError, path: string): MessageRef | undefined {
  const constraints = Object.keys(error.constraints ?? {});
  if (constraints.length === 0) return undefined;
  constraints.sort((a, b) => rank(a) - rank(b));
  const name = constraints[0];
  const key = CONSTRAINT_MESSAGES[name] ?? 'v_invalid';
  // An unknown field is named as sent, not by a label.
  const params: Record<string, string | number> = name === 'whitelistValidation' ? { name: path } : { field: path };
  // Validators that need a parameter in their message put it in the message text as JSON.
  try {
    Object.assign(params, JSON.parse(error.constraints![name]));
  } catch {
    /* the default class-validator text: no parameters */
  }
  return { key, params };
}

function rank(constraint: string): number {
  const index = PRIORITY.indexOf(constraint);
  return index === -1 ? PRIORITY.length : index;
}

function flatten(errors: ValidationError[], prefix = ''): MessageRef[] {
  return errors.flatMap((error) => {
    const path = prefix ? `${prefix}.${error.property}` : error.property;
    const own = toReason(error, path);
    return [...(own ? [own] : []), ...flatten(error.children ?? [], path)];
  });
}

/** The one global pipe: unknown fields are refused, values transformed, messages per field. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => {
      const reasons = flatten(errors);
      return new ValidationFailedError(reasons.length ? reasons : [{ key: 'v_body_object' }]);
    },
  });
}

/** Passwords are limited by bcrypt to 72 bytes; longer is refused, never silently truncated. */
export function IsPassword(options?: ValidationOptions): PropertyDecorator {
  return (target, property) => {
    ValidateBy(
      {
        name: 'passwordMinLength',
        validator: { validate: (value: unknown) => typeof value !== 'string' || [...value].length >= 8 },
      },
      options,
    )(target, property as string);
    ValidateBy(
      {
        name: 'passwordMaxBytes',
        validator: { validate: (value: unknown) => typeof value !== 'string' || Buffer.byteLength(value, 'utf8') <= 72 },
      },
      options,
    )(target, property as string);
  };
}

/** The value must equal another property of the same object (password confirmation). */
export function MatchesField(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'matchesField',
      constraints: [other],
      validator: {
        validate: (value: unknown, args?: ValidationArguments) => value === (args?.object as Record<string, unknown>)[other],
      },
    },
    options,
  );
}

/** Max length with the limit carried into the translated message. */
export function maxLengthMessage(max: number): string {
  return JSON.stringify({ max });
}

export function oneOfMessage(values: readonly string[]): string {
  return JSON.stringify({ values: values.join(', ') });
}

/** For an id in the path: malformed is a 400 naming the field (never a database error, never a 500). */
export function uuidParam(field: string, options: { optional?: boolean } = {}): ParseUUIDPipe {
  return new ParseUUIDPipe({
    optional: options.optional,
    exceptionFactory: () => new ValidationFailedError([{ key: 'v_uuid', params: { field } }]),
  });
}
