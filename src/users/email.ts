import { domainToASCII } from 'node:url';

export const EMAIL_MAX_LENGTH = 254;

/**
 * The one form an address is stored and compared in: trimmed, NFC-normalised, lower-cased. The
 * DTOs, the repository, the login-failure key and the admin command all go through it.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

/** RFC 5322 dot-atom of ASCII atext: no quoted local part, no spaces, no control characters. */
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A host-name label (letters, digits, inner hyphens), as the domain reads in ASCII (punycode). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** A top-level domain of at least two letters, or an internationalised one (xn--…). */
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * The address rule the API applies (EmailField) and the admin command (`npm run user:admin`)
 * applies too, so an admin is never made with an address that could not log in: a plain
 * `local@domain` of at most 254 characters (code points, as the column counts them), the local
 * part an ASCII dot-atom of at most 64, the domain a host name (internationalised names allowed,
 * no IP literal, no single-label host) whose top-level domain has two letters or more.
 */
export function isAcceptableEmail(email: string): boolean {
  if ([...email].length > EMAIL_MAX_LENGTH) return false;
  const at = email.lastIndexOf('@');
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (at < 1 || local.length > 64 || !DOT_ATOM.test(local)) return false;
  return isHostName(domain);
}

function isHostName(domain: string): boolean {
  // domainToASCII applies IDNA (UTS #46) and answers '' for what is no valid domain.
  if (!domain || /[\s\p{Cc}[\]]/u.test(domain)) return false;
  const ascii = domainToASCII(domain);
  if (!ascii || ascii.length > 253) return false;
  const labels = ascii.split('.');
  return labels.length >= 2 && labels.every((label) => LABEL.test(label)) && TLD.test(labels[labels.length - 1]);
}
