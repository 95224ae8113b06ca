import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/config';
import { dataSourceOptions } from '../database/data-source';
import { resolveDatabase } from '../database/database-url';
import { User } from '../users/user.entity';

/**
 * `npm run user:admin -- <email> [name]`: promotes that account to admin (and activates it), or
 * creates it with a random password, printed once. The way to make the first administrator.
 */
async function main(): Promise<void> {
  const [rawEmail, name] = process.argv.slice(2);
  const email = rawEmail?.trim().toLowerCase();
  if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
    console.error('usage: npm run user:admin -- <email> [name]');
    process.exit(2);
  }
  const config = loadConfig();
  const database = await resolveDatabase(config, (line) => console.error(line));
  const dataSource = await new DataSource(dataSourceOptions(database.url)).initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
    const users = dataSource.getRepository(User);
    const existing = await users.createQueryBuilder('user').where('lower(user.email) = :email', { email }).getOne();
    if (existing) {
      await users.update({ id: existing.id }, { role: 'admin', isActive: true });
      console.log(`${email} is now an admin (id ${existing.id})`);
    } else {
      const password = randomBytes(12).toString('base64url');
      const user = await users.save(
        users.create({
          name: name ?? 'Administrator',
          email,
          passwordHash: bcrypt.hashSync(password, config.auth.bcryptCost),
          role: 'admin',
          isActive: true,
        }),
      );
      console.log(`created admin ${email} (id ${user.id}) with password: ${password}`);
      console.log('change it after the first login (PUT /api/users/{id} with current_password).');
    }
  } finally {
    await dataSource.destroy();
    await database.stop();
  }
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
