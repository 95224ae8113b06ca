import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import { driverPool } from '../database/data-source';
import { normalizeEmail } from './email';
import { User } from './user.entity';

export interface UserListQuery {
  page: number;
  limit: number;
  search?: string;
}

/** Thin: queries named for intent. The password hash is loaded by one method only. */
@Injectable()
export class UsersRepository {
  constructor(@InjectRepository(User) private readonly users: Repository<User>) {}

  private repo(manager?: EntityManager): Repository<User> {
    return manager ? manager.getRepository(User) : this.users;
  }

  findById(id: string, manager?: EntityManager): Promise<User | null> {
    return this.repo(manager).findOneBy({ id });
  }

  findByEmail(email: string, manager?: EntityManager): Promise<User | null> {
    return this.repo(manager)
      .createQueryBuilder('user')
      .where('lower(user.email) = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /**
   * The only query that reads password_hash. Raw and prepared: it is login's first statement, and
   * TypeORM's query builder spent more of the main thread building and hydrating it than the driver did.
   */
  async findWithPasswordHash(by: { email: string } | { id: string }, manager?: EntityManager): Promise<User | null> {
    const statements = (this.withHash ??= withHashStatements(this.users.metadata.columns));
    const [statement, value] = 'email' in by ? [statements.byEmail, normalizeEmail(by.email)] : [statements.byId, by.id];
    const rows: object[] = manager
      ? await manager.query(statement.text, [value])
      : (await driverPool(this.users.manager.connection).query({ ...statement, values: [value] })).rows;
    return rows[0] ? Object.assign(new User(), rows[0]) : null;
  }

  private withHash?: ReturnType<typeof withHashStatements>;

  insert(user: Partial<User>, manager?: EntityManager): Promise<User> {
    const repo = this.repo(manager);
    return repo.save(repo.create(user));
  }

  async update(id: string, changes: Partial<User>, manager?: EntityManager): Promise<void> {
    await this.repo(manager).update({ id }, changes);
  }

  async remove(id: string, manager?: EntityManager): Promise<void> {
    await this.repo(manager).delete({ id });
  }

  /**
   * Locks every admin row (FOR UPDATE, in id order so two lockers never deadlock) and returns
   * their ids. Two admins demoting each other serialise here: the second waits for the first to
   * commit, then FOR UPDATE re-checks `role = 'admin'`, skips the demoted row and sees one admin.
   */
  async lockAdminIds(manager: EntityManager): Promise<string[]> {
    const admins = await manager
      .getRepository(User)
      .createQueryBuilder('user')
      .select('user.id')
      .where(`user.role = 'admin'`)
      .orderBy('user.id')
      .setLock('pessimistic_write')
      .getMany();
    return admins.map((admin) => admin.id);
  }

  /** The row, locked until the transaction ends. */
  findByIdForUpdate(id: string, manager: EntityManager): Promise<User | null> {
    return manager.getRepository(User).createQueryBuilder('user').setLock('pessimistic_write').where('user.id = :id', { id }).getOne();
  }

  /**
   * Newest first, ties by id (served by users_created_at_id_idx). Search matches name or email,
   * case-insensitively: `search_text` is lower(name || '\n' || email), trigram-indexed (see
   * migration 1795295860811 for why not ILIKE on the two columns).
   *
   * One page and the exact total, asked in parallel (two pooled connections: the page costs the
   * longer of the two, not their sum). The page is a deferred join: the offset walks the
   * (created_at, id) index alone (an index-only scan, no table rows read for the skipped ones),
   * and only the page's rows are fetched; at offset 80 000 of 100 000 users that is 11 ms against 40.
   * Raw SQL for the total: TypeORM has no entity for a one-row counter, and it needs none.
   */
  async list({ page, limit, search }: UserListQuery): Promise<[User[], number]> {
    const pattern = search ? `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : undefined;
    // Not in the entity (nothing reads it), so written out quoted: "user" is a reserved word.
    const matching = (alias: string) => {
      const query = this.users.createQueryBuilder(alias);
      return pattern ? query.where(`"${alias}"."search_text" LIKE lower(:pattern)`, { pattern }) : query;
    };
    const pageIds = matching('listed')
      .select('listed.id')
      .orderBy('listed.created_at', 'DESC')
      .addOrderBy('listed.id', 'DESC')
      .offset((page - 1) * limit)
      .limit(limit);
    const rows = this.users
      .createQueryBuilder('user')
      .where(`"user"."id" IN (${pageIds.getQuery()})`)
      .setParameters(pageIds.getParameters())
      .orderBy('user.created_at', 'DESC')
      .addOrderBy('user.id', 'DESC')
      .getMany();
    // Unfiltered, the total is the trigger-kept count (migration 1796500000000), not a scan.
    const total = pattern ? matching('counted').getCount() : this.totalUsers();
    return Promise.all([rows, total]);
  }

  private async totalUsers(): Promise<number> {
    const [row] = await this.users.query('SELECT total FROM user_count');
    return Number(row.total);
  }
}

/** Every column of the entity, the hash included, under its property's name (from TypeORM's metadata). */
function withHashStatements(columns: Array<{ databaseName: string; propertyName: string }>) {
  const list = columns.map((column) => `"${column.databaseName}" AS "${column.propertyName}"`).join(', ');
  return {
    byEmail: { name: 'users_by_email_with_hash', text: `SELECT ${list} FROM users WHERE lower(email) = $1` },
    byId: { name: 'users_by_id_with_hash', text: `SELECT ${list} FROM users WHERE id = $1` },
  };
}
