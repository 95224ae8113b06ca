import { HttpStatus } from '@nestjs/common';
import type { MessageKey, MessageRef } from './messages';

/**
 * The one error type services throw. The global filter renders it into the envelope:
 * `error` from `reasons`, `message` from `summary` (or the route's @FailureMessage).
 */
export class AppError extends Error {
  readonly reasons: MessageRef[];

  constructor(
    readonly status: HttpStatus,
    reason: MessageKey | MessageRef[],
    readonly summary?: MessageKey,
    readonly headers: Record<string, string> = {},
    /** `data` of the failure envelope; null unless the contract says otherwise (health). */
    readonly data: unknown[] | null = null,
  ) {
    super(typeof reason === 'string' ? reason : reason.map((r) => r.key).join(', '));
    this.reasons = typeof reason === 'string' ? [{ key: reason }] : reason;
  }
}

export class ValidationFailedError extends AppError {
  constructor(reasons: MessageRef[]) {
    super(HttpStatus.BAD_REQUEST, reasons);
  }
}

export class UnauthorizedError extends AppError {
  constructor(reason: MessageKey = 'token_invalid') {
    super(HttpStatus.UNAUTHORIZED, reason);
  }
}

export class ForbiddenError extends AppError {
  constructor(reason: MessageKey = 'forbidden') {
    super(HttpStatus.FORBIDDEN, reason);
  }
}

export class NotFoundError extends AppError {
  constructor(reason: MessageKey) {
    super(HttpStatus.NOT_FOUND, reason);
  }
}

export class TooManyRequestsError extends AppError {
  constructor(retryAfterSeconds: number, reason: MessageKey = 'too_many_requests') {
    super(HttpStatus.TOO_MANY_REQUESTS, reason, undefined, { 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) });
  }
}
