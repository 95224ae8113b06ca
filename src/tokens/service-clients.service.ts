import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, IsNull } from 'typeorm';
import { hashToken, newSecretToken } from './secret-token';
import { ServiceClient } from './service-client.entity';

export const CLIENT_NAME = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/**
 * Credentials of the other services (introspection). The secret is 256 random bits, so its
 * SHA-256 is enough: a slow hash (bcrypt) protects guessable passwords, and nobody guesses 2^256;
 * the comparison is constant-time.
 */
@Injectable()
export class ServiceClientsService {
  /** Compared against when the client is unknown, so unknown and wrong take the same path. */
  private static readonly NOTHING = hashToken('no such client');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A new client; the secret is returned once and never stored. */
  async create(name: string): Promise<{ client: ServiceClient; secret: string }> {
    if (!CLIENT_NAME.test(name)) throw new Error('a client name is 1-100 of a-z, 0-9, ".", "_", "-", starting with a letter or digit');
    const { token, hash } = newSecretToken();
    const repo = this.dataSource.getRepository(ServiceClient);
    if (await repo.existsBy({ name, revokedAt: IsNull() })) throw new Error(`a client named "${name}" exists already`);
    const { identifiers } = await repo.insert({ name, secretHash: hash });
    return { client: await repo.findOneByOrFail({ id: identifiers[0].id as string }), secret: token };
  }

  list(): Promise<ServiceClient[]> {
    return this.dataSource.getRepository(ServiceClient).find({ where: { revokedAt: IsNull() }, order: { createdAt: 'ASC' } });
  }

  async revoke(name: string): Promise<boolean> {
    const result = await this.dataSource.getRepository(ServiceClient).update({ name, revokedAt: IsNull() }, { revokedAt: new Date() });
    return (result.affected ?? 0) > 0;
  }

  /** True for a live client with this secret. */
  async authenticate(name: string, secret: string): Promise<boolean> {
    const client =
      name.length <= 100
        ? await this.dataSource
            .getRepository(ServiceClient)
            .createQueryBuilder('client')
            .addSelect('client.secretHash')
            .where('client.name = :name AND client.revoked_at IS NULL', { name })
            .getOne()
        : null;
    const matches = timingSafeEqual(hashToken(secret), client?.secretHash ?? ServiceClientsService.NOTHING);
    return client !== null && matches;
  }
}
