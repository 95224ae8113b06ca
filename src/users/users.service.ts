import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { type AuthUser, ForbiddenError } from '../../libs/http';
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
}

@Injectable()
export class UsersService {
  constructor(private readonly users: UsersRepository) {}

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

  async activate(id: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { isActive: true }, manager);
  }

  async setPasswordHash(id: string, passwordHash: string, manager?: EntityManager): Promise<void> {
    await this.users.update(id, { passwordHash }, manager);
  }

  /** Applies profile changes; an email taken meanwhile is the unique index's 409 (see create). */
  async update(id: string, changes: Partial<Pick<User, 'name' | 'email' | 'noTlp' | 'gender' | 'role'>>, manager?: EntityManager): Promise<User> {
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
