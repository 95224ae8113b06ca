import { HttpStatus } from '@nestjs/common';
import { AppError, NotFoundError } from '../http';

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('user_not_found');
  }
}

/** Demoting or deleting the only admin would leave nobody able to manage users: 409 (a state conflict, not bad input). */
export class LastAdminError extends AppError {
  constructor(reason: 'last_admin' | 'last_admin_delete') {
    super(HttpStatus.CONFLICT, reason);
  }
}

/** Changing one's password or email needs the current password: missing or wrong is a 400. */
export class CurrentPasswordError extends AppError {
  constructor(reason: 'current_password_required' | 'current_password_wrong') {
    super(HttpStatus.BAD_REQUEST, reason);
  }
}
