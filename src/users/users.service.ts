import { Injectable } from '@nestjs/common';
import { EntityManager, QueryFailedError } from 'typeorm';
import type { Gender, Role, User } from './user.entity';
import { EmailTakenError, UserNotFoundError } from './users.errors';
import { UserListQuery, UsersRepository } from './users.repository';

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
  noTlp?: string | null;
  gender?: Gender | null;
  role?: Role;
  isActive?: boolean;
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof QueryFailedError && (error.driverError as { code?: string } | undefined)?.code === '23505';
}

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

  /** Inserts a user; the unique index on lower(email) decides races (one wins, the other 409). */
  async create(input: NewUser, manager?: EntityManager): Promise<User> {
    if (await this.users.findByEmail(input.email, manager)) throw new EmailTakenError();
    try {
      return await this.users.insert({ ...input, role: input.role ?? 'customer', isActive: input.isActive ?? false }, manager);
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
  }

  async getById(id: string, manager?: EntityManager): Promise<User> {
    const user = await this.users.findById(id, manager);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    return this.users.findByEmail(email, manager);
  }

  findWithPasswordHash(by: { email: string } | { id: string }, manager?: EntityManager): Promise<User | null> {
    return this.users.findWithPasswordHash(by, manager);
  }

  async activate(id: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { isActive: true }, manager);
  }

  async setPasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { passwordHash }, manager);
  }

  /** Applies profile changes; an email taken meanwhile (unique index) is a 409. */
  async update(id: string, changes: Partial<Pick<User, 'name' | 'email' | 'noTlp' | 'gender' | 'role'>>, manager?: EntityManager): Promise<User> {
    try {
      if (Object.keys(changes).length) await this.users.update(id, changes, manager);
    } catch (error) {
      if (isUniqueViolation(error)) throw new EmailTakenError();
      throw error;
    }
    return this.getById(id, manager);
  }

  async remove(id: string, manager?: EntityManager): Promise<void> {
    await this.users.remove(id, manager);
  }

  countAdmins(manager?: EntityManager): Promise<number> {
    return this.users.countAdmins(manager);
  }

  list(query: UserListQuery): Promise<[User[], number]> {
    return this.users.list(query);
  }
}
