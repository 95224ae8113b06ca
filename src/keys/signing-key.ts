import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, type JWK } from 'jose';

export const ACCESS_TOKEN_ALGORITHM = 'ES256';

/** A key as this process uses it: parsed once (verifying with a PEM string re-parses it per request). */
export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** The JWKS entry: public parts only. */
  publicJwk: JWK;
}

/** Parses a PKCS#8 PEM; refuses anything but an EC P-256 key (ES256). */
export async function signingKeyFromPem(pem: string): Promise<SigningKey> {
  const privateKey = createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('JWT_PRIVATE_KEY must hold EC P-256 keys (ES256)');
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return { kid, privateKey, publicKey, publicJwk: { ...jwk, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' } };
}

export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
}

const base64url = (part: object) => Buffer.from(JSON.stringify(part)).toString('base64url');

/**
 * A JWS in compact form, ES256 (RFC 7515, RFC 7518 §3.4: the signature is R || S, 64 bytes), signed
 * in one call to node:crypto with the parsed key. Not @nestjs/jwt: under 50 refresh chains its
 * jsonwebtoken path (option checks, a Sign stream, DER-to-JOSE conversion) made a refresh cost 533
 * against 490 µs of the server's CPU (4 alternating rounds; 44-48 against 37 µs per token alone,
 * issue 12). jose signs through WebCrypto on the thread pool: off the main thread, but ~150 µs of
 * CPU per token in all. Tokens are verified as before (passport-jwt, jose).
 */
export function signJws(privateKey: KeyObject, header: object, claims: object): string {
  const input = `${base64url(header)}.${base64url(claims)}`;
  return `${input}.${sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
