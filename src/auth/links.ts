import type { AppConfig } from '../config/config';

/**
 * Every URL an email carries, built here from configuration alone: a Host or X-Forwarded-Host
 * header never shapes a link. Pure functions over the config (no module), so the account flows
 * use the same file for the email-change link.
 */
export function activationLink(config: AppConfig, token: string): string {
  if (config.auth.activationUrl) return withToken(config.auth.activationUrl, token);
  return `${config.appUrl}/api/users/activate/${token}`;
}

export function passwordResetLink(config: AppConfig, token: string): string {
  return withToken(config.auth.passwordResetUrl ?? `${config.appUrl}/api/users/password/reset`, token);
}

export function emailChangeLink(config: AppConfig, token: string): string {
  return `${config.appUrl}/api/users/email/confirm/${token}`;
}

/** Where the reset form posts: this service's own route, whatever page showed the form. */
export function passwordResetAction(config: AppConfig): string {
  return `${config.appUrl}/api/users/password/reset`;
}

/** Where the "send me a new activation link" form of the activation page posts. */
export function activationResendAction(config: AppConfig): string {
  return `${config.appUrl}/api/users/activation/resend`;
}

/** Where the "send me a new reset link" form of the reset page posts. */
export function passwordForgotAction(config: AppConfig): string {
  return `${config.appUrl}/api/users/password/forgot`;
}

function withToken(base: string, token: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
