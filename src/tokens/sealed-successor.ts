import { createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { refreshTokenOf, SECRET_BYTES } from './refresh-token';
import { hashToken } from './secret-token';

/**
 * The successor of a rotated refresh token, kept for the grace window so a concurrent tab that
 * presents the rotated token gets the *same* successor (the session never forks). Only whoever
 * holds the rotated token can open it; the database holds only that token's SHA-256, from which
 * nothing here can be derived.
 *
 * The seal is the successor's 256 random bits XOR a pad, HMAC-SHA256 keyed with the presented token
 * over a label and the presented token's hash (the binding): 32 bytes. A pad is used once: a token
 * is sealed under only by its own rotation (concurrent presentations each make a seal, but the row
 * keeps the first one's and the others are never written). Opening rebuilds the successor with its
 * session's id and keeps it only when its hash is the session's live one, so a wrong token or a
 * changed seal opens nothing. The AES-256-GCM layouts before it cost a refresh 40-70 µs of CPU under
 * load (issue 12); their seals (12-byte IV, 16-byte tag, the whole successor) still open, for the few
 * seconds they live across an upgrade.
 */
const PAD_LABEL = 'alat-berat refresh successor v3';
const AES_INFO = 'alat-berat refresh successor v2';
const HKDF_INFO = 'alat-berat refresh successor v1';

const padFor = (presented: string, binding: Buffer) => createHmac('sha256', presented).update(PAD_LABEL).update(binding).digest();

function xor(secret: Buffer, pad: Buffer): Buffer {
  const out = Buffer.allocUnsafe(SECRET_BYTES);
  for (let i = 0; i < SECRET_BYTES; i++) out[i] = secret[i] ^ pad[i];
  return out;
}

/** `successorSecret` is the successor's random part; `binding` the presented token's hash, which the caller has already. */
export function sealSuccessor(presented: string, successorSecret: Buffer, binding: Buffer = hashToken(presented)): Buffer {
  return xor(successorSecret, padFor(presented, binding));
}

type Derive = (presented: string, binding: Buffer) => Buffer;
const aesKey: Derive = (presented, binding) => createHmac('sha256', presented).update(AES_INFO).update(binding).digest();
const hkdfKey: Derive = (presented, binding) => Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), binding, HKDF_INFO, 32));

function openAes(presented: string, binding: Buffer, sealed: Buffer, derive: Derive): string | undefined {
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
 * The successor sealed under `presented`, when it is the live token of the session (`live`: its id
 * and its live token's hash); undefined otherwise. `binding` as for sealSuccessor.
 */
export function openSuccessor(
  presented: string,
  sealed: Buffer,
  live: { sessionId: string; hash: Buffer },
  binding: Buffer = hashToken(presented),
): string | undefined {
  const successor =
    sealed.length === SECRET_BYTES
      ? refreshTokenOf(live.sessionId, xor(sealed, padFor(presented, binding)))
      : (openAes(presented, binding, sealed, aesKey) ?? openAes(presented, binding, sealed, hkdfKey));
  return successor !== undefined && hashToken(successor).equals(live.hash) ? successor : undefined;
}
