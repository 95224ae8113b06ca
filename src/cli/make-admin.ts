import { randomBytes } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { User } from '../users/user.entity';
import { runWithDatabase } from './run-with-database';

// `npm run user:admin -- <email> [name]`: promotes that account to admin (and activates it), or
// creates it with a random password, printed once. The way to make the first administrator.
const [rawEmail, name] = process.argv.slice(2);
const email = rawEmail?.trim().toLowerCase();
if (!email || !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) {
  console.error('usage: npm run user:admin -- <email> [name]');
  process.exit(2);
}

runWithDatabase(async (dataSource, config) => {
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
});
