import { Client } from 'pg';
import { vi } from 'vitest';

export interface SentQuery {
  client: Client;
  /** The statement's text, its whitespace collapsed. */
  text: string;
  /** The rows it answered with, once it has answered (undefined before, or on an error). */
  rowCount?: number;
}

/**
 * Every statement a pg client of this process sends while `work` runs, in the order sent: the
 * app's pools and the test's own clients alike (filter by `client`). Spied on `Client.prototype`,
 * so it sees TypeORM's queries and the raw hot-path statements the same way.
 */
export async function recordQueries(work: () => Promise<unknown>): Promise<SentQuery[]> {
  const sent: SentQuery[] = [];
  const original = Client.prototype.query;
  const spy = vi.spyOn(Client.prototype, 'query').mockImplementation(function (this: Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string };
    const entry: SentQuery = {
      client: this,
      text: (typeof config === 'string' ? config : (config.text ?? '')).replace(/\s+/g, ' ').trim(),
    };
    sent.push(entry);
    const result = (original as (...a: unknown[]) => unknown).apply(this, args);
    if (result instanceof Promise) {
      void result.then(
        (answer: { rowCount?: number | null } | undefined) => (entry.rowCount = answer?.rowCount ?? 0),
        () => undefined,
      );
    }
    return result;
  } as typeof original);
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return sent;
}
