import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { hashToken } from './secret-token';

/**
 * The successor of a rotated refresh token, kept for the grace window so a concurrent tab that
 * presents the rotated token gets the *same* successor (the session never forks). It is sealed
 * with AES-256-GCM under HKDF-SHA256(presented token): only whoever holds the rotated token can
 * open it, and the database holds only that token's SHA-256, from which the key cannot be derived.
 * Layout: 12-byte IV, 16-byte tag, ciphertext. The binding (HKDF salt and GCM AAD) is the row's
 * token hash, known before the rotation's one statement runs, so a sealed value copied to another
 * row opens nowhere. Seals written before that (bound to the row id) still open, for the few
 * seconds they live across an upgrade.
 */
const INFO = 'alat-berat refresh successor v1';

function keyFor(presented: string, binding: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), binding, INFO, 32));
}

export function sealSuccessor(presented: string, successor: string): Buffer {
  const binding = hashToken(presented);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(presented, binding), iv);
  cipher.setAAD(binding);
  const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function open(presented: string, binding: Buffer, sealed: Buffer): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', keyFor(presented, binding), sealed.subarray(0, 12));
    decipher.setAAD(binding);
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The successor, or undefined when the seal does not open with this token (it always should).
 * `rowId` opens a seal of the earlier layout, bound to the row id.
 */
export function openSuccessor(presented: string, sealed: Buffer, rowId?: string): string | undefined {
  return open(presented, hashToken(presented), sealed) ?? (rowId ? open(presented, Buffer.from(rowId, 'utf8'), sealed) : undefined);
}
