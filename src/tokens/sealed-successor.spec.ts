import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { openSuccessor, sealSuccessor } from './sealed-successor';
import { hashToken, newSecretToken } from './secret-token';

/**
 * A seal as the HKDF layouts wrote it (key by HKDF-SHA256 of the presented token, bound by
 * `binding`), written out here so the tests do not depend on the code they check.
 */
const hkdfKey = (presented: string, binding: Buffer) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(presented, 'utf8'), binding, 'alat-berat refresh successor v1', 32));
function hkdfSeal(presented: string, successor: string, binding: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', hkdfKey(presented, binding), iv);
  cipher.setAAD(binding);
  const body = Buffer.concat([cipher.update(successor, 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

describe('the sealed successor of a rotated refresh token', () => {
  it('opens with the rotated token, and with nothing else', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const sealed = sealSuccessor(presented, successor);
    expect(openSuccessor(presented, sealed)).toBe(successor);
    expect(openSuccessor(newSecretToken().token, sealed)).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(openSuccessor(presented, tampered)).toBeUndefined();
  });

  it('holds neither the successor nor the key in the clear, and never seals twice alike', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const a = sealSuccessor(presented, successor);
    const b = sealSuccessor(presented, successor);
    expect(a.equals(b)).toBe(false);
    for (const secret of [successor, presented]) {
      expect(a.includes(Buffer.from(secret))).toBe(false);
      expect(a.includes(Buffer.from(secret, 'base64url'))).toBe(false);
    }
  });

  it('still opens a seal of the previous layout (key by HKDF, bound to the token hash)', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const previous = hkdfSeal(presented, successor, hashToken(presented));

    expect(openSuccessor(presented, previous)).toBe(successor);
    expect(openSuccessor(newSecretToken().token, previous)).toBeUndefined();
  });

  it('seals under a key that is not the previous layout’s (a seal of today opens only through today’s derivation)', () => {
    const presented = newSecretToken().token;
    const sealed = sealSuccessor(presented, newSecretToken().token);
    const binding = hashToken(presented);
    const decipher = createDecipheriv('aes-256-gcm', hkdfKey(presented, binding), sealed.subarray(0, 12));
    decipher.setAAD(binding);
    decipher.setAuthTag(sealed.subarray(12, 28));
    decipher.update(sealed.subarray(28));
    expect(() => decipher.final()).toThrow();
  });

  it('still opens a seal of the first layout (bound to the row id) with that row id only', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const row = randomUUID();
    const legacy = hkdfSeal(presented, successor, Buffer.from(row, 'utf8'));

    expect(openSuccessor(presented, legacy, row)).toBe(successor);
    expect(openSuccessor(presented, legacy, randomUUID())).toBeUndefined();
    expect(openSuccessor(presented, legacy)).toBeUndefined();
  });
});
