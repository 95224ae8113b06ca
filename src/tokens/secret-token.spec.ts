import { createHash } from 'node:crypto';
import { hashToken, newSecretToken, randomSecret } from './secret-token';

describe('randomSecret', () => {
  it('hands out each random byte once, in buffers of their own that a later refill leaves alone', () => {
    const first = randomSecret(32);
    const kept = Buffer.from(first);
    // 300 × 32 bytes: more than two 4 KiB batches, so the batch is refilled under the first secret.
    const more = Array.from({ length: 300 }, () => randomSecret(32));
    expect(first.equals(kept)).toBe(true);
    const all = [first, ...more].map((secret) => secret.toString('hex'));
    expect(new Set(all).size).toBe(all.length);
    expect(all.every((hex) => hex.length === 64 && !/^0+$/.test(hex))).toBe(true);
  });

  it('gives sizes larger than a batch and odd sizes whole', () => {
    expect(randomSecret(5000)).toHaveLength(5000);
    expect(randomSecret(7)).toHaveLength(7);
    expect(randomSecret(18).toString('base64url')).toMatch(/^[\w-]{24}$/);
  });
});

describe('secret tokens', () => {
  it('are 256 bits in base64url, stored only as their SHA-256', () => {
    const { token, hash } = newSecretToken();
    expect(token).toMatch(/^[\w-]{43}$/);
    expect(hash.equals(createHash('sha256').update(token, 'utf8').digest())).toBe(true);
    expect(hashToken('ä').equals(createHash('sha256').update('ä', 'utf8').digest())).toBe(true);
  });
});
