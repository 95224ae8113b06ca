import type { DataSource } from 'typeorm';
import type { TokenPurpose } from '../tokens/one-time-token.entity';
import type { ConsumedToken, TokensService } from '../tokens/tokens.service';

/** Carries the check's answer out of the transaction it rolls back. */
class LookOnly extends Error {
  constructor(readonly consumed: ConsumedToken) {
    super('rolled back: a look at a link token');
  }
}

/**
 * What `consume` would say about a link token (unknown and expired throw its 400), without using
 * it up: the same one check, in a transaction that is always rolled back. A page that only shows
 * the link's state (opened by a person or a mail scanner) must leave the token as it was.
 */
export async function peekLinkToken(
  dataSource: DataSource,
  tokens: TokensService,
  token: string,
  purpose: TokenPurpose,
): Promise<ConsumedToken> {
  try {
    await dataSource.transaction(async (db) => {
      throw new LookOnly(await tokens.consume(token, purpose, db));
    });
  } catch (error) {
    if (error instanceof LookOnly) return error.consumed;
    throw error;
  }
  throw new Error('unreachable: the look-only transaction always rolls back');
}
