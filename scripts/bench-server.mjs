// The compiled service in a child process for the benchmarks, so the load generator does not
// share its event loop: limits off, quiet logs, mail to files.
import { spawn } from 'node:child_process';

/** Starts dist/src/main.js on `port` and resolves once /api/health answers 200. */
export async function startBenchServer(port, env = {}) {
  const server = spawn(process.execPath, ['--max-semi-space-size=8', '--v8-pool-size=0', 'dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_PER_MINUTE: '0',
      LOGIN_FAILURES_LIMIT: '0',
      SMTP_URL: '',
      ...env,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise((resolve) => server.once('exit', resolve));
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${base}/api/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (i === 300 || server.exitCode !== null) {
      server.kill('SIGTERM');
      throw new Error('server did not become healthy');
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    base,
    pid: server.pid,
    async stop() {
      server.kill('SIGTERM');
      await exited;
    },
  };
}
