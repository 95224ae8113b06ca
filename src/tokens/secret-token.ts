import { hash, randomFillSync } from 'node:crypto';

/** Random bytes are drawn from the CSPRNG this many at a time (as Node's randomUUID does). */
const RANDOM_BATCH = 4096;
let batch = Buffer.alloc(0);
let taken = 0;

/**
 * `size` bytes from node:crypto's CSPRNG, each handed out once and copied out of the batch, so a
 * refill never touches a secret already given. One call to the generator per 4 KiB rather than per
 * token: a refresh draws 32 bytes, and randomBytes(32) cost 10 µs of the main thread per call
 * under load (issue 12).
 */
export function randomSecret(size: number): Buffer {
  if (taken + size > batch.length) {
    batch = randomFillSync(Buffer.allocUnsafeSlow(Math.max(RANDOM_BATCH, size)));
    taken = 0;
  }
  const secret = Buffer.allocUnsafe(size);
  batch.copy(secret, 0, taken, taken + size);
  batch.fill(0, taken, taken + size);
  taken += size;
  return secret;
}

/** 256 random bits, URL-safe. Only its SHA-256 is ever stored. */
export function newSecretToken(): { token: string; hash: Buffer } {
  const token = randomSecret(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): Buffer {
  return hash('sha256', token, 'buffer');
}
