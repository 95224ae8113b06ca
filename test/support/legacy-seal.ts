import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { hashToken } from '../../src/tokens/secret-token';

/**
 * A grace seal as versions before 2026-12-07 wrote it (AES-256-GCM under an HMAC of the presented
 * token, bound by its hash; the whole successor inside), for tests that fill a database the way
 * those versions left it. Written out here so they do not depend on the code they check.
 */
export function sealAsBefore(presented: string, successor: string): Buffer {
  const binding = hashToken(presented);
  const key = createHmac('sha256', presented).update('alat-berat refresh successor v2').update(binding).digest();
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(binding);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}
