import { HttpStatus } from '@nestjs/common';
import { AppError, NotFoundError } from '../../libs/http';

export class EmailTakenError extends AppError {
  constructor() {
    super(HttpStatus.CONFLICT, 'email_taken');
  }
}

export class UserNotFoundError extends NotFoundError {
  constructor() {
    super('user_not_found');
  }
}
