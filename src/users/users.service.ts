import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { randomBytes } from 'node:crypto';
import { type AuthUser, ForbiddenError, type Lang } from '../http';
import { normalizeEmail } from './email';
import { PasswordHasher } from './password-hasher';
import type { Gender, Role, User } from './user.entity';
import { LastAdminError, UserNotFoundError } from './users.errors';
import { UserListQuery, UsersRepository } from './users.repository';

/** A larger `limit` is clamped to this, not refused. */
export const MAX_PAGE_SIZE = 100;

export interface UserPage {
  users: User[];
  page: number;
  limit: number;
  total: number;
}

export interface NewUser {
  name: string;
  email: string;
  passwordHash: string;
  noTlp?: string | null;
  gender?: Gender | null;
  role?: Role;
  isActive?: boolean;
  lang?: Lang;
}

@Injectable()
export class UsersService {
  constructor(
    private readonly users: UsersRepository,
    private readonly hasher: PasswordHasher,
  ) {}

  /**
   * Inserts a user. No look-up first: the unique index on lower(email) decides, also between
   * simultaneous registrations, and the exception filter answers its violation with 409
   * "Email sudah terdaftar".
   */
  create(input: NewUser, manager?: EntityManager): Promise<User> {
    return this.users.insert({ ...input, role: input.role ?? 'customer', isActive: input.isActive ?? false }, manager);
  }

  async getById(id: string, manager?: EntityManager): Promise<User> {
    const user = await this.users.findById(id, manager);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  /**
   * A user as seen by the caller: self or admin. Someone else's id is a 403 for a customer
   * whether or not it exists, so customers cannot probe which ids exist; an admin gets the 404.
   */
  async getForCaller(caller: AuthUser, id: string, manager?: EntityManager): Promise<User> {
    if (caller.id !== id && caller.role !== 'admin') throw new ForbiddenError();
    return this.getById(id, manager);
  }

  /** The row locked until the transaction ends; 404 when it is gone. */
  async getForUpdate(id: string, manager: EntityManager): Promise<User> {
    const user = await this.users.findByIdForUpdate(id, manager);
    if (!user) throw new UserNotFoundError();
    return user;
  }

  findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    return this.users.findByEmail(email, manager);
  }

  findWithPasswordHash(by: { email: string } | { id: string }, manager?: EntityManager): Promise<User | null> {
    return this.users.findWithPasswordHash(by, manager);
  }

  /** True when `password` is this user's current password; false for a wrong one or no such user. */
  async verifyPassword(id: string, password: string): Promise<boolean> {
    const user = await this.users.findWithPasswordHash({ id });
    return user ? this.hasher.verify(password, user.passwordHash) : this.hasher.verifyAgainstNothing(password);
  }

  /**
   * The one way an administrator is made (the CLI, the tests and the benchmarks all call it): an
   * existing account is promoted and activated; otherwise one is created with a random password,
   * returned so it can be shown once.
   */
  async promoteOrCreateAdmin(email: string, name = 'Administrator', password?: string): Promise<{ user: User; password?: string }> {
    const address = normalizeEmail(email);
    const existing = await this.users.findByEmail(address);
    if (existing) {
      await this.users.update(existing.id, { role: 'admin', isActive: true });
      if (password !== undefined) await this.users.update(existing.id, { passwordHash: await this.hasher.hash(password) });
      return { user: await this.getById(existing.id) };
    }
    const chosen = password ?? randomBytes(12).toString('base64url');
    const user = await this.create({ name, email: address, passwordHash: await this.hasher.hash(chosen), role: 'admin', isActive: true });
    return { user, password: password === undefined ? chosen : undefined };
  }

  async activate(id: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { isActive: true }, manager);
  }

  async setPasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { passwordHash }, manager);
  }

  /** Applies profile changes; an email taken meanwhile is the unique index's 409 (see create). */
  async update(
    id: string,
    changes: Partial<Pick<User, 'name' | 'email' | 'noTlp' | 'gender' | 'role'>>,
    manager?: EntityManager,
  ): Promise<User> {
    if (Object.keys(changes).length) await this.users.update(id, changes, manager);
    return this.getById(id, manager);
  }

  async remove(id: string, manager?: EntityManager): Promise<void> {
    await this.users.remove(id, manager);
  }

  /**
   * Refuses to take away the last admin. Call it first in the transaction, before any other
   * user row is locked: it locks every admin row, so concurrent demotions and deletions queue
   * here instead of each counting two admins and leaving none.
   */
  async assertNotLastAdmin(id: string, reason: 'last_admin' | 'last_admin_delete', manager: EntityManager): Promise<void> {
    const adminIds = await this.users.lockAdminIds(manager);
    if (adminIds.length === 1 && adminIds[0] === id) throw new LastAdminError(reason);
  }

  async list({ page, limit, search }: UserListQuery): Promise<UserPage> {
    const clamped = Math.min(limit, MAX_PAGE_SIZE);
    const [users, total] = await this.users.list({ page, limit: clamped, search: search?.trim() || undefined });
    return { users, page, limit: clamped, total };
  }
}
