import 'reflect-metadata';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { Pool } from 'pg';
import { inject } from 'vitest';
import { DATABASE_POOL, QUERY_SILENCE_MS } from '../src/database/data-source';

/**
 * The pool's silence watch (data-source.ts) on the real database: a connection whose server stops
 * answering is given up after QUERY_SILENCE_MS, and a quiet connection with nothing out is not.
 * The server is made silent by a relay between the pool and PostgreSQL that stops passing the
 * server's bytes on, as a hung server or a black-holed network would.
 */
describe('the pool gives up on a silent server, and only then', () => {
  const database = new URL(inject('databaseUrl'));
  let relay: Server;
  let relayPort: number;
  /** While true, nothing PostgreSQL sends reaches the pool. */
  let silent = false;
  const links = new Set<Socket>();

  beforeAll(async () => {
    relay = createServer((client) => {
      const server = connect(Number(database.port || 5432), database.hostname);
      links.add(client).add(server);
      client.on('data', (chunk) => server.write(chunk));
      server.on('data', (chunk) => {
        if (!silent) client.write(chunk);
      });
      for (const [a, b] of [
        [client, server],
        [server, client],
      ]) {
        a.on('close', () => b.destroy());
        a.on('error', () => b.destroy());
      }
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    relayPort = (relay.address() as { port: number }).port;
  });
  afterAll(async () => {
    for (const socket of links) socket.destroy();
    await new Promise((resolve) => relay.close(resolve));
  });

  const newPool = () => {
    const url = new URL(database);
    url.hostname = '127.0.0.1';
    url.port = String(relayPort);
    return new Pool({ ...DATABASE_POOL, connectionString: url.toString() });
  };
  const backendPid = async (pool: Pool) => (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('keeps a connection that is merely idle, or idle inside a transaction, for longer than the limit', async () => {
    const pool = newPool();
    try {
      const pid = await backendPid(pool);
      await sleep(QUERY_SILENCE_MS + 700);
      expect(await backendPid(pool)).toBe(pid);
      expect(pool.totalCount).toBe(1);

      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await sleep(QUERY_SILENCE_MS + 700);
        expect((await client.query<{ one: number }>('SELECT 1 AS one')).rows[0].one).toBe(1);
        await client.query('COMMIT');
      } finally {
        client.release();
      }
      // A query that keeps the server busy (and the connection quiet) for less than the limit.
      await pool.query('SELECT pg_sleep(1.2)');
      expect(await backendPid(pool)).toBe(pid);
    } finally {
      await pool.end();
    }
  });

  it('fails a query the server never answers after the limit, drops that connection, and serves again on a new one', async () => {
    const pool = newPool();
    try {
      const before = await backendPid(pool);
      // Idle past the limit first, as a pooled connection usually is when the server hangs: its
      // timer has fired once with nothing out, and the query's write must set it going again.
      await sleep(QUERY_SILENCE_MS + 300);
      silent = true;
      const asked = Date.now();
      const failure = await pool.query('SELECT 1').then(
        () => new Error('the query was answered'),
        (error: Error) => error,
      );
      const took = Date.now() - asked;
      silent = false;
      console.log(`[measured] a query to a silent server failed after ${took} ms: ${failure.message}`);
      expect(failure.message).toBe('Query read timeout');
      expect(took).toBeGreaterThanOrEqual(QUERY_SILENCE_MS - 50);
      expect(took).toBeLessThan(QUERY_SILENCE_MS + 1000);
      expect(pool.totalCount).toBe(0);
      const after = await backendPid(pool);
      expect(after).not.toBe(before);
    } finally {
      silent = false;
      await pool.end();
    }
  });
});
