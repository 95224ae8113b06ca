import bcrypt from 'bcryptjs';
import { loadConfig } from '../config/config';
import { PasswordHasher } from './password-hasher';

describe('PasswordHasher (bcryptjs in worker threads)', () => {
  const hasher = new PasswordHasher(loadConfig({ BCRYPT_COST: '4' }));
  afterAll(() => hasher.onModuleDestroy());

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

  it('keeps the event loop free while hashing', async () => {
    // Count event-loop turns during eight hashes: on the main thread there would be none.
    let turns = 0;
    const ticker = setInterval(() => (turns += 1), 1);
    await Promise.all(Array.from({ length: 8 }, () => hasher.hash('rahasia123')));
    clearInterval(ticker);
    expect(turns).toBeGreaterThan(0);
  });
});
