import { PasswordHasher } from '../users/password-hasher';
import { isAcceptableEmail, normalizeEmail } from '../users/email';
import { User } from '../users/user.entity';
import { UsersRepository } from '../users/users.repository';
import { UsersService } from '../users/users.service';
import { runWithDatabase } from './run-with-database';

// `npm run user:admin -- <email> [name]`: promotes that account to admin (and activates it), or
// creates it with a random password, printed once. The way to make the first administrator.
const [rawEmail, name] = process.argv.slice(2);
const email = rawEmail === undefined ? undefined : normalizeEmail(rawEmail);
if (!email || !isAcceptableEmail(email)) {
  console.error('usage: npm run user:admin -- <email> [name]   (an address the API accepts)');
  process.exit(2);
}

runWithDatabase(async (dataSource, config) => {
  const hasher = new PasswordHasher(config);
  try {
    const users = new UsersService(new UsersRepository(dataSource.getRepository(User)), hasher);
    const { user, password } = await users.promoteOrCreateAdmin(email, name);
    if (password === undefined) {
      console.log(`${email} is now an admin (id ${user.id})`);
    } else {
      console.log(`created admin ${email} (id ${user.id}) with password: ${password}`);
      console.log('change it after the first login (PUT /api/users/{id} with current_password).');
    }
  } finally {
    await hasher.destroy();
  }
});
