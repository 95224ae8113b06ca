import bcrypt from 'bcryptjs';
import { loadConfig } from '../config/config';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher (bcryptjs in worker threads)', () => {
  const hasher = new PasswordHasher(loadConfig({ BCRYPT_COST: '4' }));
  afterAll(() => hasher.destroy());

  it('hashes with the configured cost and verifies in the pool', async () => {
    const hash = await hasher.hash('rahasia123');
    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(bcrypt.compareSync('rahasia123', hash)).toBe(true);
    await expect(hasher.verify('rahasia123', hash)).resolves.toBe(true);
    await expect(hasher.verify('rahasia124', hash)).resolves.toBe(false);
  });

  it('answers false for an account that does not exist, after a real comparison', async () => {
    await expect(hasher.verifyAgainstNothing('anything')).resolves.toBe(false);
  });

  it('runs every hash and comparison in the worker threads, not on the event loop', async () => {
    // The pool counts the tasks its threads finished; work done on the main thread would not count.
    const pool = (hasher as unknown as { pool: { completed: number; threads: unknown[] } }).pool;
    const before = pool.completed;
    const hashes = await Promise.all(Array.from({ length: 8 }, () => hasher.hash('rahasia123')));
    await Promise.all(hashes.map((hash) => hasher.verify('rahasia123', hash)));
    expect(pool.completed - before).toBe(16);
    expect(pool.threads.length).toBeGreaterThan(0);
  });
});
