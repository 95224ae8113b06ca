import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeysService } from '../keys/keys.service';
import { VerifiedTokens } from './verified-tokens';

/** KeysService as VerifiedTokens sees it: the key held now for each kid. */
function heldKeys() {
  const held = new Map<string, KeyObject>();
  const keys = { currentKey: (kid: string) => held.get(kid) } as unknown as KeysService;
  return { held, keys };
}

const newKey = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });

async function token(kid: string, privateKey: KeyObject, expSeconds: number) {
  return new SignJWT({ typ: 'access', sid: 's', role: 'customer' })
    .setProtectedHeader({ alg: 'ES256', kid })
    .setSubject('u')
    .setExpirationTime(expSeconds)
    .sign(privateKey);
}

/** A cache over one held key k1, and a token of that key expiring at `exp` (seconds). */
async function setup(exp = Math.floor(Date.now() / 1000) + 600) {
  const { held, keys } = heldKeys();
  const pair = newKey();
  held.set('k1', pair.publicKey);
  return { held, pair, exp, tokens: new VerifiedTokens(keys), jwt: await token('k1', pair.privateKey, exp) };
}

describe('VerifiedTokens', () => {
  it('gives back the claims of a remembered token while its key is the one held and it is unexpired', async () => {
    const { tokens, jwt, exp } = await setup();
    const claims = { sub: 'u', exp };
    expect(tokens.get(jwt)).toBeUndefined();
    tokens.remember(jwt, claims);
    expect(tokens.get(jwt)).toBe(claims);
    expect(tokens.get(`${jwt}x`)).toBeUndefined();
  });

  it('forgets a token once its key is gone or replaced (revoked, or reread), even if it comes back', async () => {
    const { held, pair, tokens, jwt, exp } = await setup();
    tokens.remember(jwt, { exp });
    held.delete('k1');
    expect(tokens.get(jwt)).toBeUndefined();
    held.set('k1', pair.publicKey);
    expect(tokens.get(jwt)).toBeUndefined(); // dropped for good: the next request verifies in full

    tokens.remember(jwt, { exp });
    held.set('k1', newKey().publicKey); // a reread holds a new object for the kid
    expect(tokens.get(jwt)).toBeUndefined();
  });

  it('forgets a token at its exp, the second jsonwebtoken would call it expired', async () => {
    // The clock is set, not waited for: a token minted one second ahead could expire during a slow
    // setup on a busy machine (it did, in CI), before the first look.
    const { tokens, jwt, exp } = await setup();
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(exp * 1000 - 1);
      tokens.remember(jwt, { exp });
      expect(tokens.get(jwt)).toEqual({ exp });
      vi.setSystemTime(exp * 1000);
      expect(tokens.get(jwt)).toBeUndefined();
    } finally {
      vi.useRealTimers();
    }
  });

  it('remembers nothing without an exp, a readable header or a held key', async () => {
    const { held, pair, tokens, jwt, exp } = await setup();
    tokens.remember(jwt, { sub: 'u' });
    tokens.remember('not.a.jwt', { exp });
    const unknownKid = await token('k2', pair.privateKey, exp);
    tokens.remember(unknownKid, { exp });
    expect(tokens.get(jwt)).toBeUndefined();
    expect(tokens.get('not.a.jwt')).toBeUndefined();
    held.set('k2', pair.publicKey);
    expect(tokens.get(unknownKid)).toBeUndefined();
  });
});
