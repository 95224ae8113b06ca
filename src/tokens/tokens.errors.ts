import { HttpStatus } from '@nestjs/common';
import { AppError, type MessageKey } from '../http';
import type { TokenPurpose } from './one-time-token.entity';

/** What a bad link says, per purpose: one table instead of a switch in every flow. */
export const LINK_TOKEN_MESSAGES: Record<TokenPurpose, { invalid: MessageKey; expired: MessageKey }> = {
  activation: { invalid: 'activation_invalid', expired: 'activation_expired' },
  email_change: { invalid: 'email_change_invalid', expired: 'email_change_expired' },
  password_reset: { invalid: 'reset_invalid', expired: 'reset_expired' },
};

/** A one-time link that is unknown, used up or expired: 400 with the reason. */
export class BadLinkTokenError extends AppError {
  constructor(purpose: TokenPurpose, problem: 'invalid' | 'expired') {
    super(HttpStatus.BAD_REQUEST, LINK_TOKEN_MESSAGES[purpose][problem]);
  }
}
