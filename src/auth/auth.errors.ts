import { HttpStatus } from '@nestjs/common';
import { AppError } from '../../libs/http';

export class InvalidCredentialsError extends AppError {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, 'invalid_credentials', 'login_failed');
  }
}

export class AccountNotActivatedError extends AppError {
  constructor() {
    super(HttpStatus.FORBIDDEN, 'not_activated', 'login_failed');
  }
}

export class InvalidRefreshTokenError extends AppError {
  constructor() {
    super(HttpStatus.UNAUTHORIZED, 'token_invalid', 'refresh_failed');
  }
}

/** A one-time link that is unknown, used up or expired: 400 with the reason. */
export class BadLinkTokenError extends AppError {
  constructor(reason: 'activation_invalid' | 'activation_expired' | 'reset_invalid' | 'reset_expired' | 'email_change_invalid' | 'email_change_expired') {
    super(HttpStatus.BAD_REQUEST, reason);
  }
}

export class CurrentPasswordError extends AppError {
  constructor(reason: 'current_password_required' | 'current_password_wrong') {
    super(HttpStatus.BAD_REQUEST, reason);
  }
}
