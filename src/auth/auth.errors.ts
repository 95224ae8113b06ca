import { HttpStatus } from '@nestjs/common';
import { AppError } from '../http';

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
