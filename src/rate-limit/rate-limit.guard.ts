import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import { TooManyRequestsError } from '../http';

/**
 * RATE_LIMIT_PER_MINUTE per client address on each public auth route. The address is req.ip,
 * which honours X-Forwarded-For only when TRUST_PROXY is set.
 */
@Injectable()
export class AuthRateLimitGuard extends ThrottlerGuard {
  protected override async throwThrottlingException(_: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new TooManyRequestsError(detail.timeToBlockExpire || detail.timeToExpire);
  }
}
