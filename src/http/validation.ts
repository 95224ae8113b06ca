import { ArgumentMetadata, Injectable, PipeTransform, ValidationError, ValidationPipe } from '@nestjs/common';
import { isUUID, ValidateBy, ValidateIf, ValidationArguments, ValidationOptions } from 'class-validator';
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

/** The message for one failing field: its first constraint, with every placeholder filled. */
export function toReason(error: ValidationError, path: string): MessageRef | undefined {
  const constraints = Object.keys(error.constraints ?? {});
  if (constraints.length === 0) return undefined;
  constraints.sort((a, b) => rank(a) - rank(b));
  const name = constraints[0];
  const key = CONSTRAINT_MESSAGES[name] ?? 'v_invalid';
  // An unknown field is named as sent, not by a label.
  const params: Record<string, string | number> = name === 'whitelistValidation' ? { name: path } : { field: path };
  const text = error.constraints![name];
  // Validators that need a parameter in their message put it in the message text as JSON.
  try {
    Object.assign(params, JSON.parse(text));
  } catch {
    // class-validator's own text ("… shorter than or equal to 200 characters", "… one of the
    // following values: a, b"): the parameter is taken from it, so no `{max}` is ever left unfilled.
    if (key === 'v_max_length') params.max = /(\d+)/.exec(text)?.[1] ?? '?';
    if (key === 'v_one_of') params.values = /values: (.*)$/.exec(text)?.[1] ?? '';
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

function validationPipe(forbidUnknown: boolean): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: forbidUnknown,
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

/**
 * The one global pipe: values transformed, messages per field. Unknown body fields are refused
 * (a customer cannot slip `role` in); unknown query parameters are dropped, not refused: mail
 * programs and trackers append `utm_*` and the like to links. Known parameters are validated.
 */
@Injectable()
export class ContractValidationPipe implements PipeTransform {
  private readonly strict = validationPipe(true);
  private readonly lenient = validationPipe(false);

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    if (metadata.type === 'body' && metadata.metatype) {
      const fields = OPTIONAL_STRING_BODIES.get(metadata.metatype);
      if (fields && isOptionalStrings(value, fields)) return Object.assign(new (metadata.metatype as new () => object)(), value);
    }
    return (metadata.type === 'query' ? this.lenient : this.strict).transform(value, metadata);
  }
}

/**
 * DTO class → its fields, for bodies whose every field is an optional string (IsOptional +
 * IsString, nothing else). A body the pipe would pass unchanged (a plain object holding only those
 * fields, each a string or absent) becomes the DTO without class-transformer and class-validator,
 * which cost a refresh ~14 % of its server CPU (issue 12); every other body goes through them, for
 * their exact messages. A unit test checks each registered field has no other constraint and
 * nothing class-transformer would change (@Transform, @Type, @Expose/@Exclude).
 */
const OPTIONAL_STRING_BODIES = new Map<unknown, readonly string[]>();

export function OptionalStringsBody(...fields: string[]): ClassDecorator {
  return (target) => void OPTIONAL_STRING_BODIES.set(target, fields);
}

/** The classes OptionalStringsBody registered, with their fields (for the test). */
export function optionalStringBodies(): ReadonlyMap<unknown, readonly string[]> {
  return OPTIONAL_STRING_BODIES;
}

function isOptionalStrings(value: unknown, fields: readonly string[]): boolean {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    if (!Object.hasOwn(value, key) || !fields.includes(key)) return false;
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'string') return false;
  }
  return true;
}

export function createValidationPipe(): ContractValidationPipe {
  return new ContractValidationPipe();
}

/**
 * A text no longer than `max` Unicode code points, counted after NFC as PostgreSQL counts a
 * varchar(n): the validator, the column and the documentation (Swagger's maxLength) agree.
 * (class-validator's MaxLength counts UTF-16 units: an emoji counts twice.)
 */
/**
 * A field that may be left out but not sent as null. IsOptional() lets null through as if it
 * were absent: to a NOT NULL column, or to code that takes any non-undefined value as given (a
 * logout body's `token: null` reached the token hash as null: a 500).
 */
export const OmittableNotNull = () => ValidateIf((_object, value) => value !== undefined);

export function MaxChars(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxLength',
      constraints: [max],
      validator: { validate: (value: unknown) => typeof value !== 'string' || codePoints(value.normalize('NFC')) <= max },
    },
    { message: maxLengthMessage(max), ...options },
  );
}

export function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
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

/**
 * The one home of id normalisation. A malformed id is a 400 naming the field (never a database
 * error, never a 500); a well-formed one comes back lower-cased, the form PostgreSQL prints and
 * access tokens carry, so every rule that compares ids (self, admin, last admin, "keep my
 * session") sees one spelling: `/api/users/<ID IN CAPITALS>` is the same user. `optional`: a path
 * that may leave the id out (`PUT /api/users`, the route list's self-update) gets undefined.
 */
export class UuidParamPipe implements PipeTransform<unknown, string | undefined> {
  constructor(
    private readonly field: string,
    private readonly optional = false,
  ) {}

  transform(value: unknown): string | undefined {
    if (value === undefined && this.optional) return undefined;
    if (typeof value !== 'string' || !isUUID(value)) throw new ValidationFailedError([{ key: 'v_uuid', params: { field: this.field } }]);
    return value.toLowerCase();
  }
}

export function uuidParam(field: string, options: { optional?: boolean } = {}): UuidParamPipe {
  return new UuidParamPipe(field, options.optional ?? false);
}
