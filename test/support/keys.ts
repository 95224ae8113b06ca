import type { DataSource } from 'typeorm';

/**
 * Time travel for the managed signing keys: every key was made (and activates, retires, expires)
 * `seconds` earlier, as if that much time had passed. A rotation right after start needs it: the
 * next key must have been published for one JWKS max-age before it may sign.
 */
export async function ageSigningKeys(db: DataSource, seconds: number): Promise<void> {
  const shift = `make_interval(secs => ${Number(seconds)})`;
  await db.query(
    `UPDATE signing_keys SET created_at = created_at - ${shift}, activates_at = activates_at - ${shift},
       retires_at = retires_at - ${shift}, expires_at = expires_at - ${shift}`,
  );
}
