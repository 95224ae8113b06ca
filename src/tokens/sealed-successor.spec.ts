import { createCipheriv, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { newRefreshToken } from './refresh-token';
import { openSuccessor, sealSuccessor } from './sealed-successor';
import { hashToken, newSecretToken } from './secret-token';

/**
 * Seals as the AES-256-GCM layouts wrote them (the whole successor, under a key derived from the
 * presented token and bound by its hash), written out here so the tests do not depend on the code
 * they check.
 */
const hkdfKey = (presented: string, binding: Buffer) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), binding, 'alat-berat refresh successor v1', 32));
const hmacKey = (presented: string, binding: Buffer) =>
  createHmac('sha256', presented).update('alat-berat refresh successor v2').update(binding).digest();
function aesSeal(key: Buffer, successor: string, binding: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(binding);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

describe('the sealed successor of a rotated refresh token', () => {
  const sessionId = randomUUID();
  const chain = () => {
    const presented = newRefreshToken(sessionId).token;
    const successor = newRefreshToken(sessionId);
    return { presented, successor, live: { sessionId, hash: successor.hash } };
  };

  it('opens with the rotated token, and with nothing else; a changed seal opens nothing', () => {
    const { presented, successor, live } = chain();
    const sealed = sealSuccessor(presented, successor.secret);
    expect(sealed).toHaveLength(32);
    expect(openSuccessor(presented, sealed, live)).toBe(successor.token);
    expect(openSuccessor(newRefreshToken(sessionId).token, sealed, live)).toBeUndefined();
    expect(openSuccessor(presented, sealed, { sessionId: randomUUID(), hash: successor.hash })).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(openSuccessor(presented, tampered, live)).toBeUndefined();
  });

  it('opens only while the successor is the live token: a seal of an older rotation opens nothing', () => {
    const { presented, successor } = chain();
    const sealed = sealSuccessor(presented, successor.secret);
    expect(openSuccessor(presented, sealed, { sessionId, hash: newRefreshToken(sessionId).hash })).toBeUndefined();
  });

  it('holds neither the successor nor the key in the clear, and differs for every presented token', () => {
    const { presented, successor } = chain();
    const sealed = sealSuccessor(presented, successor.secret);
    expect(sealed.equals(successor.secret)).toBe(false);
    for (const secret of [successor.token, presented]) {
      expect(sealed.includes(Buffer.from(secret))).toBe(false);
      expect(sealed.includes(Buffer.from(secret.slice(22), 'base64url'))).toBe(false);
    }
    expect(sealSuccessor(newRefreshToken(sessionId).token, successor.secret).equals(sealed)).toBe(false);
  });

  it('still opens a seal of the AES-256-GCM layouts (an upgrade in the middle of a grace window)', () => {
    for (const key of [hmacKey, hkdfKey]) {
      const presented = newSecretToken().token;
      const successor = newRefreshToken(sessionId);
      const binding = hashToken(presented);
      const sealed = aesSeal(key(presented, binding), successor.token, binding);
      expect(openSuccessor(presented, sealed, { sessionId, hash: successor.hash })).toBe(successor.token);
      expect(openSuccessor(newSecretToken().token, sealed, { sessionId, hash: successor.hash })).toBeUndefined();
    }
  });
});
