import { isEmail } from 'class-validator';

/**
 * The one form an address is stored and compared in: trimmed, NFC-normalised, lower-cased. The
 * DTOs, the repository, the login-failure key and the admin command all go through it.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** The address rule the API applies (EmailField) and the admin command applies too. */
export function isAcceptableEmail(email: string): boolean {
  return email.length <= 254 && isEmail(email);
}
