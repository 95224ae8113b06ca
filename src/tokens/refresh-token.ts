import { hashToken, randomSecret } from './secret-token';

/** The session id's 16 bytes in base64url. */
const SESSION_PART = 22;
/** The random part: 256 bits. */
export const SECRET_BYTES = 32;
/** The session part, then the random part in base64url. */
const TOKEN_LENGTH = SESSION_PART + 43;

/**
 * A refresh token names its session: its first 22 characters are the session id, the rest 256
 * random bits. The client treats it as opaque. Only its SHA-256 is stored, in the session's row,
 * which the rotation finds through its primary key: the hash needs no index, so the rotation's
 * update is a HOT one (issue 12). Knowing a session id (it is the `sid` of access tokens) gives
 * nothing: the whole token's hash must match.
 */
export function newRefreshToken(sessionId: string): { token: string; hash: Buffer; secret: Buffer } {
  const secret = randomSecret(SECRET_BYTES);
  const token = refreshTokenOf(sessionId, secret);
  return { token, hash: hashToken(token), secret };
}

/** The token of this session with this random part. */
export function refreshTokenOf(sessionId: string, secret: Buffer): string {
  return Buffer.from(sessionId.replace(/-/g, ''), 'hex').toString('base64url') + secret.toString('base64url');
}

/**
 * The session a refresh token names, or null for anything else, tokens from before they named
 * their session included (those are found by their hash in the history instead).
 */
export function sessionNamedBy(token: string): string | null {
  if (token.length !== TOKEN_LENGTH) return null;
  const id = Buffer.from(token.slice(0, SESSION_PART), 'base64url');
  if (id.length !== 16) return null;
  const hex = id.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
