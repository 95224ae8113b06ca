import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { hashToken } from './secret-token';

/**
 * The successor of a rotated refresh token, kept for the grace window so a concurrent tab that
 * presents the rotated token gets the *same* successor (the session never forks). It is sealed
 * with AES-256-GCM under a key derived from the presented token (HMAC-SHA256 keyed with it): only
 * whoever holds the rotated token can open it, and the database holds only that token's SHA-256,
 * from which the key cannot be derived. Layout: 12-byte IV, 16-byte tag, ciphertext. The binding
 * (in the key and as GCM AAD) is the row's token hash, known before the rotation's one statement
 * runs, so a sealed value copied to another row opens nowhere. Seals of the two earlier layouts
 * (key by HKDF, bound to the token hash or to the row id) still open, for the few seconds they
 * live across an upgrade.
 *
 * HMAC rather than HKDF: the token is already 256 uniformly random bits, so one keyed hash is a
 * sound key derivation, and Node's hkdfSync cost 20 µs of every refresh's main thread (issue 12).
 */
const INFO = 'alat-berat refresh successor v2';
const LEGACY_INFO = 'alat-berat refresh successor v1';

type Derive = (presented: string, binding: Buffer) => Buffer;

const keyFor: Derive = (presented, binding) => createHmac('sha256', presented).update(INFO).update(binding).digest();
const legacyKeyFor: Derive = (presented, binding) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), binding, LEGACY_INFO, 32));

/** `binding` is the presented token's hash, passed in by a caller that has it already. */
export function sealSuccessor(presented: string, successor: string, binding: Buffer = hashToken(presented)): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', keyFor(presented, binding), iv);
  cipher.setAAD(binding);
  const ciphertext = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), ciphertext]);
}

function open(presented: string, binding: Buffer, sealed: Buffer, derive: Derive): string | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', derive(presented, binding), sealed.subarray(0, 12));
    decipher.setAAD(binding);
    decipher.setAuthTag(sealed.subarray(12, 28));
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
  } catch {
    return undefined;
  }
}

/**
 * The successor, or undefined when the seal does not open with this token (it always should).
 * `rowId` opens a seal of the first layout, bound to the row id.
 */
export function openSuccessor(presented: string, sealed: Buffer, rowId?: string): string | undefined {
  const binding = hashToken(presented);
  return (
    open(presented, binding, sealed, keyFor) ??
    open(presented, binding, sealed, legacyKeyFor) ??
    (rowId ? open(presented, Buffer.from(rowId, 'utf8'), sealed, legacyKeyFor) : undefined)
  );
}
