import type { AppConfig } from '../config/config';

/**
 * Every URL an email carries, built here from configuration alone: a Host or X-Forwarded-Host
 * header never shapes a link. Pure functions over the config (no module), so the account flows
 * use the same file for the email-change link.
 */
export function activationLink(config: AppConfig, token: string): string {
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

function withToken(base: string, token: string): string {
  return `${base}${base.includes('?') ? '&' : '?'}token=${encodeURIComponent(token)}`;
}
