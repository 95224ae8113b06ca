import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { AppConfig } from '../config/config';

export const ACCESS_TOKEN_ALGORITHM = 'ES256';

export interface SigningKeys {
  kid: string;
  privateKeyPem: string;
  publicKeyPem: string;
  /** Parsed once: verifying with a PEM string re-parses it on every request (~3x slower). */
  publicKey: KeyObject;
  publicJwk: JWK;
}

export const SIGNING_KEYS = Symbol('SIGNING_KEYS');

/**
 * The ES256 key that signs access tokens: JWT_PRIVATE_KEY when set, otherwise a P-256 pair
 * generated once and kept under `.data/keys/` so tokens survive a restart.
 */
export async function loadSigningKeys(config: AppConfig): Promise<SigningKeys> {
  let privateKey: KeyObject;
  if (config.auth.privateKeyPem) {
    privateKey = createPrivateKey(config.auth.privateKeyPem);
  } else {
    const file = path.resolve(config.auth.keysDir, 'access-token-es256.pem');
    if (existsSync(file)) {
      privateKey = createPrivateKey(await readFile(file, 'utf8'));
    } else {
      privateKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await writeFile(file, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    }
  }
  if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('JWT_PRIVATE_KEY must be an EC P-256 key (ES256)');
  }
  const publicKey = createPublicKey(privateKey);
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint(jwk, 'sha256');
  return {
    kid,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    publicKey,
    publicJwk: { ...jwk, kid, alg: ACCESS_TOKEN_ALGORITHM, use: 'sig' },
  };
}
