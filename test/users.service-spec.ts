import { PasswordHasher } from '../src/users/password-hasher';
import { User } from '../src/users/user.entity';
import {
  ADMIN_PASSWORD,
  blockedOrFinished,
  inTransaction,
  keepOnlyAdmins,
  NEW_PASSWORD,
  PASSWORD,
  startServices,
  uniqueEmail,
  type TestServices,
} from './support';

describe('UsersService on the real database (no HTTP)', () => {
  let s: TestServices;
  beforeAll(async () => {
    s = await startServices();
  });
  afterAll(async () => {
    await s?.close();
  });

  const row = (id: string) => s.dataSource.getRepository(User).findOneByOrFail({ id });
  const adminCount = () => s.dataSource.getRepository(User).countBy({ role: 'admin' });
  const newAdmin = async () => (await s.users.promoteOrCreateAdmin(uniqueEmail('admin'), undefined, ADMIN_PASSWORD)).user;
  /** What a demotion does (AccountService.update): the last-admin check first, then the write, in one transaction. */
  const demote = (id: string) =>
    s.dataSource.transaction(async (db) => {
      await s.users.assertNotLastAdmin(id, 'last_admin', db);
      await s.users.update(id, { role: 'customer' }, db);
    });
  const lastAdmin = (reason: 'last_admin' | 'last_admin_delete') => ({ status: 409, reasons: [{ key: reason }] });

  describe('promoteOrCreateAdmin', () => {
    it('creates an active admin with a random password, shown once, that verifyPassword accepts', async () => {
      const email = uniqueEmail('fresh-admin');
      const { user, password } = await s.users.promoteOrCreateAdmin(`  ${email.toUpperCase()} `, 'Ibu Admin');
      expect(user).toMatchObject({ email, name: 'Ibu Admin', role: 'admin', isActive: true });
      expect(password).toMatch(/^[\w-]{16,}$/);
      expect(await s.users.verifyPassword(user.id, password!)).toBe(true);
      expect(await s.users.verifyPassword(user.id, `${password}x`)).toBe(false);
    });

    it('creates with the password it is given, and then returns none to show', async () => {
      const { user, password } = await s.users.promoteOrCreateAdmin(uniqueEmail('chosen'), undefined, ADMIN_PASSWORD);
      expect(password).toBeUndefined();
      expect(user).toMatchObject({ name: 'Administrator', role: 'admin', isActive: true });
      expect(await s.users.verifyPassword(user.id, ADMIN_PASSWORD)).toBe(true);
    });

    it('promotes and activates an existing customer, keeping its password unless given one', async () => {
      const hasher = s.module.get(PasswordHasher);
      const email = uniqueEmail('customer');
      const customer = await s.users.create({ name: 'Pak Budi', email, passwordHash: await hasher.hash(PASSWORD) });
      expect(customer).toMatchObject({ role: 'customer', isActive: false });

      const promoted = await s.users.promoteOrCreateAdmin(email.toUpperCase(), 'Ignored Name');
      expect(promoted.password).toBeUndefined();
      expect(promoted.user).toMatchObject({ id: customer.id, name: 'Pak Budi', role: 'admin', isActive: true });
      expect(await s.users.verifyPassword(customer.id, PASSWORD)).toBe(true);

      await s.users.promoteOrCreateAdmin(email, undefined, NEW_PASSWORD);
      expect(await s.users.verifyPassword(customer.id, NEW_PASSWORD)).toBe(true);
      expect(await s.users.verifyPassword(customer.id, PASSWORD)).toBe(false);
      expect(await s.dataSource.getRepository(User).countBy({ email })).toBe(1);
    });

    it('answers verifyPassword for an id that does not exist with false', async () => {
      expect(await s.users.verifyPassword('00000000-0000-4000-8000-000000000000', PASSWORD)).toBe(false);
    });
  });

  describe('the last-admin rule', () => {
    // The rule counts every admin of the database, which all specs share: each test makes its own
    // admins the only ones and puts the others back after.
    let restore: () => Promise<void> = async () => undefined;
    afterEach(async () => {
      await restore();
      restore = async () => undefined;
    });

    it('refuses to demote or delete the only admin, and allows it while another admin remains', async () => {
      const only = await newAdmin();
      restore = await keepOnlyAdmins(s.dataSource, [only.id]);
      await expect(demote(only.id)).rejects.toMatchObject(lastAdmin('last_admin'));
      await expect(s.dataSource.transaction((db) => s.users.assertNotLastAdmin(only.id, 'last_admin_delete', db))).rejects.toMatchObject(
        lastAdmin('last_admin_delete'),
      );
      expect((await row(only.id)).role).toBe('admin');

      const second = await newAdmin();
      await demote(second.id);
      expect((await row(second.id)).role).toBe('customer');
      // A customer is never "the last admin".
      await s.dataSource.transaction((db) => s.users.assertNotLastAdmin(second.id, 'last_admin_delete', db));
    });

    it('leaves exactly one admin when two demote each other in two transactions at once', async () => {
      const [x, y] = await Promise.all([newAdmin(), newAdmin()]);
      restore = await keepOnlyAdmins(s.dataSource, [x.id, y.id]);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let checked!: () => void;
      const firstChecked = new Promise<void>((resolve) => (checked = resolve));

      // The first has passed the check (two admins) and holds its transaction open until the
      // second has either queued behind its lock (correct) or passed the check too (no lock:
      // both would see two admins and leave none).
      const first = inTransaction(s.dataSource, async (db) => {
        await s.users.assertNotLastAdmin(y.id, 'last_admin', db);
        checked();
        await held;
        await s.users.update(y.id, { role: 'customer' }, db);
      });
      await Promise.race([firstChecked, first.result]);
      const second = inTransaction(s.dataSource, async (db) => {
        await s.users.assertNotLastAdmin(x.id, 'last_admin', db);
        await s.users.update(x.id, { role: 'customer' }, db);
      });
      const seen = await blockedOrFinished(s.dataSource, second);
      release();
      const outcomes = await Promise.allSettled([first.result, second.result]);

      expect(seen).toBe('blocked');
      expect(outcomes[0].status).toBe('fulfilled');
      expect(outcomes[1]).toMatchObject({ status: 'rejected', reason: lastAdmin('last_admin') });
      expect(await adminCount()).toBe(1);
      expect((await row(x.id)).role).toBe('admin');
    });

    it('leaves exactly one admin whatever the timing, over several free races', async () => {
      for (let round = 0; round < 5; round++) {
        const [x, y] = await Promise.all([newAdmin(), newAdmin()]);
        const back = await keepOnlyAdmins(s.dataSource, [x.id, y.id]);
        try {
          const outcomes = await Promise.allSettled([demote(y.id), demote(x.id)]);
          expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
          expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: lastAdmin('last_admin') });
          expect(await adminCount()).toBe(1);
        } finally {
          await back();
        }
      }
    });
  });

  describe("the kept user count (route 8's unfiltered meta.total)", () => {
    /** The kept total and a real count, read in one statement (one snapshot, whatever runs beside it). */
    const bothCounts = async () => {
      const [row] = await s.dataSource.query('SELECT (SELECT total FROM user_count) AS kept, (SELECT count(*) FROM users) AS counted');
      return { kept: Number(row.kept), counted: Number(row.counted) };
    };
    const expectExact = async () => {
      const { kept, counted } = await bothCounts();
      expect(kept).toBe(counted);
      return kept;
    };

    it('follows single and bulk inserts, deletes and a rolled-back insert exactly', async () => {
      await expectExact();
      const one = await s.newUserId();
      await expectExact();
      const bulk = uniqueEmail('bulk');
      await s.dataSource.query(
        `INSERT INTO users (name, email, password_hash) SELECT 'Bulk ' || g, g || '.' || $1, 'x' FROM generate_series(1, 3) AS g`,
        [bulk],
      );
      await expectExact();
      await expect(
        s.dataSource.transaction(async (db) => {
          await s.users.create({ name: 'Rolled Back', email: uniqueEmail('rollback'), passwordHash: 'x' }, db);
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      await expectExact();
      await s.users.remove(one);
      await s.dataSource.query(`DELETE FROM users WHERE email LIKE '%.' || $1`, [bulk]);
      await expectExact();
    });

    it('stays exact under simultaneous registrations, and is what the unfiltered list reports', async () => {
      await Promise.all(Array.from({ length: 12 }, () => s.newUserId()));
      await expectExact();
      // Spec files take turns (vitest.config.ts), so nothing else writes users meanwhile.
      const { counted } = await bothCounts();
      expect((await s.users.list({ page: 1, limit: 1 })).total).toBe(counted);
    });
  });
});
