import { randomUUID } from 'node:crypto';
import { openSuccessor, sealSuccessor } from './sealed-successor';
import { newSecretToken } from './secret-token';

describe('the sealed successor of a rotated refresh token', () => {
  it('opens with the rotated token and the same row, and with nothing else', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const row = randomUUID();
    const sealed = sealSuccessor(presented, row, successor);
    expect(openSuccessor(presented, row, sealed)).toBe(successor);
    expect(openSuccessor(newSecretToken().token, row, sealed)).toBeUndefined();
    expect(openSuccessor(presented, randomUUID(), sealed)).toBeUndefined();
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1] ^= 1;
    expect(openSuccessor(presented, row, tampered)).toBeUndefined();
  });

  it('holds neither the successor nor the key in the clear, and never seals twice alike', () => {
    const presented = newSecretToken().token;
    const successor = newSecretToken().token;
    const row = randomUUID();
    const a = sealSuccessor(presented, row, successor);
    const b = sealSuccessor(presented, row, successor);
    expect(a.equals(b)).toBe(false);
    for (const secret of [successor, presented]) {
      expect(a.includes(Buffer.from(secret))).toBe(false);
      expect(a.includes(Buffer.from(secret, 'base64url'))).toBe(false);
    }
  });
});
