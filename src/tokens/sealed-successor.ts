import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * The successor of a rotated refresh token, kept for the grace window so a concurrent tab that
 * presents the rotated token gets the *same* successor (the session never forks). It is sealed
 * with AES-256-GCM under HKDF-SHA256(presented token): only whoever holds the rotated token can
 * open it, and the database holds only that token's SHA-256, from which the key cannot be derived.
 * Layout: 12-byte IV, 16-byte tag, ciphertext. The row id is the HKDF salt and the GCM AAD, so a
 * sealed value copied to another row opens nowhere.
 */
const INFO = 'alat-berat refresh successor v1';

function keyFor(presented: string, rowId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), Buffer.from(rowId, 'utf8'), INFO, 32));
}

export function sealSuccessor(presented: string, rowId: string, successor: string): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(presented, rowId), iv);
  cipher.setAAD(Buffer.from(rowId, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

/** The successor, or undefined when the seal does not open with this token (it always should). */
export function openSuccessor(presented: string, rowId: string, sealed: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(presented, rowId), sealed.subarray(0, 12));
    decipher.setAAD(Buffer.from(rowId, 'utf8'));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}
