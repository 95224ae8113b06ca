import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/database/embedded-postgres';

export interface ServiceProcess {
  url: string;
  /** Its DATA_DIR (the embedded PostgreSQL lives in `postgres/` under it when no DATABASE_URL is given). */
  dataDir: string;
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with how it ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGKILL if still running, and removes its data directory. */
  dispose(): Promise<void>;
}

let built = false;
/** `npm run build` once per test file: the fault tests run the compiled service, as production does. */
export function buildService(): void {
  if (built) return;
  const run = spawnSync('npm', ['run', 'build'], { encoding: 'utf8' });
  if (run.status !== 0 || !existsSync('dist/src/main.js')) throw new Error(`npm run build failed:\n${run.stdout}\n${run.stderr}`);
  built = true;
}

/**
 * `node dist/src/main.js` in a child process with its own data directory and port, resolving once
 * /api/health answers 200. `env` is added to a minimal environment (the test's own is not passed on).
 */
export async function startService(
  env: Record<string, string>,
  /**
   * `processGroup`: its own process group, as a terminal gives `npm start` (for a Ctrl-C to the
   * whole group). `dataDir`: another run's DATA_DIR, to start again on what it left.
   */
  options: { processGroup?: boolean; dataDir?: string } = {},
): Promise<ServiceProcess> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'alat-berat-service-')));
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      PORT: String(port),
      DATA_DIR: dataDir,
      APP_URL: 'http://localhost:3000',
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      LOGIN_FAILURES_LIMIT: '0',
      BCRYPT_COST: '4',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.processGroup === true,
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = `http://127.0.0.1:${port}`;
  const service: ServiceProcess = {
    url,
    dataDir,
    child,
    output: () => output,
    exited,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      // An embedded PostgreSQL runs detached: a killed service leaves it running.
      const postmaster = postmasterPid(dataDir);
      if (postmaster) process.kill(postmaster, 'SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) return service;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await service.dispose();
      throw new Error(`the service did not become healthy:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The pid of a live embedded PostgreSQL under this DATA_DIR, or undefined. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'postgres', 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  try {
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
