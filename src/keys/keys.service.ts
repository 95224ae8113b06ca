import { randomUUID, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { decodeProtectedHeader, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { DataSource, EntityManager } from 'typeorm';
import { InjectConfig } from '../config/config.module';
import type { AppConfig } from '../config/config';
import { SigningKeyRecord } from './signing-key.entity';
import { ACCESS_TOKEN_ALGORITHM, generateSigningKeyPem, signingKeyFromPem, signJws, type SigningKey } from './signing-key';

/** The JWKS's Cache-Control max-age: a consumer may hold a key set this long. */
export const JWKS_MAX_AGE_SECONDS = 600;
/** How often an instance rereads the managed keys (and runs their schedule). */
export const KEYS_RELOAD_MS = 30_000;
/** An unknown kid rereads the keys at most this often (bogus kids cost one small query a second). */
const UNKNOWN_KID_RELOAD_MS = 1_000;
/** Verifiers' clock-skew leeway, added to how long a retired key stays published. */
const LEEWAY_SECONDS = 60;
/** pg advisory lock key of key maintenance (a number of its own): one instance at a time creates keys. */
const KEYS_LOCK = 1_796_200_002;
export const ACCESS_TOKEN_TYPE = 'at+jwt';

interface PublishedKey extends SigningKey {
  activatesAt: Date;
}

export interface RotationOutcome {
  /** The key that signs new tokens after the rotation (or will, from `activatesAt`). */
  kid: string;
  activatesAt: Date;
  revokedKid?: string;
}

/**
 * The keys that sign and verify access tokens, and their rotation.
 *
 * - JWT_PRIVATE_KEY set: its keys, in order; the first signs, all are published. The operator
 *   rotates by deploying `[new, old]`, then `[new]`.
 * - Unset: keys kept in `signing_keys`, shared by every instance. There is always a next key,
 *   published at least one JWKS max-age before it starts signing, so a consumer's cached JWKS
 *   already holds it; a retired key stays published until every token it signed has expired.
 *   Every instance rereads the table every 30 s (and on an unknown kid), so a rotation reaches
 *   the signer and the verifier of every instance without a restart.
 */
@Injectable()
export class KeysService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(KeysService.name);
  readonly managed: boolean;
  /** Published keys, the signer first; the managed ones as last read from the table. */
  private keys: PublishedKey[] = [];
  private loadedAt = 0;
  private reloading?: Promise<void>;
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {
    this.managed = config.auth.privateKeyPems.length === 0;
  }

  async onModuleInit(): Promise<void> {
    if (!this.managed) {
      const epoch = new Date(0);
      this.keys = await Promise.all(
        this.config.auth.privateKeyPems.map(async (pem) => ({ ...(await signingKeyFromPem(pem)), activatesAt: epoch })),
      );
      return;
    }
    await this.maintain();
    await this.load();
    this.timer = setInterval(() => void this.refresh(), KEYS_RELOAD_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** Signs an access token: header `alg`, `kid`, `typ: at+jwt`; `iss`, `aud`, `iat`, `exp`, a random `jti`. */
  async sign<T extends { sub: string }>(claims: T, ttlSeconds: number): Promise<string> {
    const key = this.signer();
    const issuedAt = Math.floor(Date.now() / 1000);
    const { issuer: iss, audience: aud } = this.config.auth;
    return signJws(
      key.privateKey,
      { alg: ACCESS_TOKEN_ALGORITHM, kid: key.kid, typ: ACCESS_TOKEN_TYPE },
      { ...claims, iat: issuedAt, exp: issuedAt + ttlSeconds, iss, aud, jti: randomUUID() },
    );
  }

  /**
   * The claims of a token signed by one of our published keys, with the pinned algorithm, issuer
   * and audience, unexpired; null otherwise.
   */
  async verify(token: string): Promise<JWTPayload | null> {
    try {
      const { kid } = decodeProtectedHeader(token);
      const key = typeof kid === 'string' ? await this.verificationKey(kid) : undefined;
      if (!key) return null;
      const { payload } = await jwtVerify(token, key, {
        algorithms: [ACCESS_TOKEN_ALGORITHM],
        issuer: this.config.auth.issuer,
        audience: this.config.auth.audience,
      });
      return payload;
    } catch {
      return null;
    }
  }

  /** The public key of a published key; an unknown kid rereads the keys first (rate-limited). */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.find(kid);
    if (known || !this.managed) return known;
    if (Date.now() - this.loadedAt >= UNKNOWN_KID_RELOAD_MS) await this.reload().catch(() => undefined);
    return this.find(kid);
  }

  /** The JWKS: the signer, the next key and every retired key whose tokens may still live. */
  async jwks(): Promise<{ keys: JWK[] }> {
    // Read afresh: a revoked key leaves the JWKS at once, on every instance. The database away:
    // the keys held are still the right answer, so verifiers keep working.
    if (this.managed) await this.reload().catch(() => undefined);
    return { keys: this.keys.map((key) => key.publicJwk) };
  }

  /**
   * Rotates now: the next key (published since its creation) starts signing, and a new next key is
   * made. A next key published for less than one JWKS max-age is scheduled for the end of it instead,
   * so no consumer meets a kid its cache lacks. `revokeCurrent` (a leaked key): the signing key is
   * unpublished at once and the next key signs at once.
   */
  async rotate(options: { revokeCurrent?: boolean } = {}): Promise<RotationOutcome> {
    if (!this.managed) throw new Error('JWT_PRIVATE_KEY is set: rotate by deploying [new, old] keys, then [new]');
    const outcome = await this.dataSource.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock($1)`, [KEYS_LOCK]);
      await this.schedule(db);
      const repo = db.getRepository(SigningKeyRecord);
      const now = new Date();
      const { current, next } = this.split(await repo.find({ order: { activatesAt: 'ASC' } }), now);
      let revokedKid: string | undefined;
      let activatesAt: Date;
      if (options.revokeCurrent && current) {
        await repo.update({ kid: current.kid }, { revokedAt: now, retiresAt: now, expiresAt: now });
        revokedKid = current.kid;
        activatesAt = now;
      } else {
        const publishedFor = next ? (now.getTime() - next.createdAt.getTime()) / 1000 : 0;
        activatesAt = publishedFor >= JWKS_MAX_AGE_SECONDS ? now : new Date(next!.createdAt.getTime() + JWKS_MAX_AGE_SECONDS * 1000);
      }
      await repo.update({ kid: next!.kid }, { activatesAt });
      await this.schedule(db);
      return { kid: next!.kid, activatesAt, revokedKid };
    });
    await this.load();
    return outcome;
  }

  private signer(): PublishedKey {
    if (!this.managed) return this.keys[0];
    // The newest key whose time has come; the next key waits in the list until then.
    const now = Date.now();
    let signer: PublishedKey | undefined;
    for (const key of this.keys) {
      if (key.activatesAt.getTime() <= now && (!signer || key.activatesAt > signer.activatesAt)) signer = key;
    }
    if (!signer) throw new Error('no signing key');
    return signer;
  }

  /**
   * The public key a kid names among the keys held now, without rereading: the same object until
   * the next reread, so a holder can tell the key it saw is still the one published.
   */
  currentKey(kid: string): KeyObject | undefined {
    return this.find(kid);
  }

  private find(kid: string): KeyObject | undefined {
    return this.keys.find((key) => key.kid === kid)?.publicKey;
  }

  private async refresh(): Promise<void> {
    try {
      await this.maintain();
      await this.load();
    } catch (error) {
      // The database away: keep the keys we have, try again next time.
      this.logger.warn(`could not reread the signing keys: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private reload(): Promise<void> {
    this.reloading ??= this.load().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  private async load(): Promise<void> {
    const rows = await this.dataSource
      .getRepository(SigningKeyRecord)
      .createQueryBuilder('key')
      .where('key.revoked_at IS NULL AND (key.expires_at IS NULL OR key.expires_at > now())')
      .orderBy('key.activates_at', 'DESC')
      .getMany();
    const keys = await Promise.all(
      rows.map(async (row) => ({ ...(await signingKeyFromPem(row.privateKeyPem)), activatesAt: row.activatesAt })),
    );
    const now = Date.now();
    // The signer first (consumers that take the first key get the right one), then the next, then the retired.
    const signerIndex = keys.findIndex((key) => key.activatesAt.getTime() <= now);
    if (signerIndex > 0) keys.unshift(...keys.splice(signerIndex, 1));
    this.keys = keys;
    this.loadedAt = Date.now();
  }

  /** The schedule, under a lock so that concurrent instances never create two keys. */
  private async maintain(): Promise<void> {
    await this.dataSource.transaction(async (db) => {
      await db.query(`SELECT pg_advisory_xact_lock($1)`, [KEYS_LOCK]);
      await this.importLegacyKey(db);
      await this.schedule(db);
    });
  }

  /** Splits the live keys at `now`: the one signing, the one next. */
  private split(rows: SigningKeyRecord[], now: Date) {
    const live = rows.filter((row) => !row.revokedAt);
    const started = live.filter((row) => row.activatesAt <= now);
    return {
      live,
      current: started[started.length - 1] as SigningKeyRecord | undefined,
      next: live.find((row) => row.activatesAt > now),
    };
  }

  /**
   * Makes sure a key signs and a next one is published, and dates the retired keys: each stays
   * published until the last token it may have signed expires (access TTL, the instances' reload
   * interval, the verifiers' leeway).
   */
  private async schedule(db: EntityManager): Promise<void> {
    const repo = db.getRepository(SigningKeyRecord);
    const now = new Date();
    let { current, next } = this.split(await repo.find({ order: { activatesAt: 'ASC' } }), now);
    if (!current) {
      // First start (or every key revoked): sign at once; no token of this key exists in any cache yet.
      if (next) {
        await repo.update({ kid: next.kid }, { activatesAt: now });
        current = { ...next, activatesAt: now };
        next = undefined;
      } else {
        current = await this.createKey(db, now);
      }
    }
    if (!next) {
      const due = new Date(current.activatesAt.getTime() + this.config.auth.keyRotation * 1000);
      const earliest = new Date(now.getTime() + JWKS_MAX_AGE_SECONDS * 1000);
      await this.createKey(db, due > earliest ? due : earliest);
    }
    const { live } = this.split(await repo.find({ order: { activatesAt: 'ASC' } }), now);
    const keep = this.config.auth.accessTtl * 1000 + KEYS_RELOAD_MS + LEEWAY_SECONDS * 1000;
    for (let i = 0; i < live.length - 1; i += 1) {
      const successor = live[i + 1];
      if (successor.activatesAt <= now && live[i].retiresAt === null) {
        await repo.update(
          { kid: live[i].kid },
          { retiresAt: successor.activatesAt, expiresAt: new Date(successor.activatesAt.getTime() + keep) },
        );
      }
    }
    // Keys nobody can need any more; a day of margin keeps the history readable for a while.
    await repo
      .createQueryBuilder()
      .delete()
      .where(`expires_at < now() - interval '1 day' OR revoked_at < now() - interval '1 day'`)
      .execute();
  }

  private async createKey(db: EntityManager, activatesAt: Date): Promise<SigningKeyRecord> {
    const pem = generateSigningKeyPem();
    const { kid } = await signingKeyFromPem(pem);
    const row: SigningKeyRecord = {
      kid,
      privateKeyPem: pem,
      createdAt: new Date(),
      activatesAt,
      retiresAt: null,
      expiresAt: null,
      revokedAt: null,
    };
    await db.getRepository(SigningKeyRecord).insert(row);
    return row;
  }

  /**
   * A key generated by an earlier version under `.data/keys/` moves into the table on first start,
   * so the tokens it signed stay valid: it keeps signing when the table was empty, else it is
   * published as retired until its tokens have expired.
   */
  private async importLegacyKey(db: EntityManager): Promise<void> {
    const file = path.resolve(this.config.auth.keysDir, 'access-token-es256.pem');
    if (!existsSync(file)) return;
    const pem = await readFile(file, 'utf8');
    const { kid } = await signingKeyFromPem(pem);
    const repo = db.getRepository(SigningKeyRecord);
    if (await repo.existsBy({ kid })) return;
    const now = new Date();
    const empty = (await repo.count()) === 0;
    const keep = new Date(now.getTime() + this.config.auth.accessTtl * 1000 + LEEWAY_SECONDS * 1000);
    await repo.insert({
      kid,
      privateKeyPem: pem.trim() + '\n',
      createdAt: now,
      activatesAt: empty ? now : new Date(0),
      retiresAt: empty ? null : now,
      expiresAt: empty ? null : keep,
      revokedAt: null,
    });
    this.logger.log(`moved the signing key ${kid} from ${file} into the database${empty ? '' : ' (retired)'}; the file may be deleted`);
  }
}
