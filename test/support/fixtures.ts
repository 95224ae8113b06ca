import { randomBytes } from 'node:crypto';

/** The password registerActiveUser gives an account unless told otherwise. */
export const PASSWORD = 'rahasia123';
/** What a test changes a password to. */
export const NEW_PASSWORD = 'rahasiaBaru456';
/** createAdmin's default password: not PASSWORD, so an admin re-authenticating is told apart from the target. */
export const ADMIN_PASSWORD = 'adminRahasia789';
/** A password no test account has. */
export const WRONG_PASSWORD = 'wrong-password';
/** Well-formed (43 URL-safe characters, like a real link token) but never issued. */
export const UNKNOWN_LINK_TOKEN = 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG';
/** Exactly the fields of a user in every body (API.md), sorted. */
export const USER_FIELDS = ['created_at', 'email', 'gender', 'id', 'is_active', 'name', 'no_tlp', 'role', 'updated_at'];
/** The body of a refused refresh. */
export const TOKEN_INVALID = { error: ['Token tidak valid'], message: 'Refresh token gagal', data: null };

let counter = 0;
/** A fresh address per call, so tests never collide on the unique email index. */
export function uniqueEmail(tag = 'user'): string {
  counter += 1;
  return `${tag}.${Date.now().toString(36)}${counter}${randomBytes(2).toString('hex')}@example.com`;
}
