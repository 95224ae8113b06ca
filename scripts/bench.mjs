// Benchmark of the hot paths, against the compiled server (npm run bench builds it first).
// Starts the service on a fresh embedded PostgreSQL (or DATABASE_URL) in a child process,
// drives it over loopback HTTP with autocannon, and prints requests/s, p50/p99 and RSS.
// Figures, not assertions: run it on a quiet machine and compare runs.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startBenchServer } from './bench-server.mjs';

const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const PORT = Number(process.env.BENCH_PORT ?? 3901);
const dataDir = mkdtempSync(path.join(tmpdir(), 'alat-berat-bench-'));

const server = await startBenchServer(PORT, { DATA_DIR: dataDir });
const { base } = server;

function rss(field = 'VmRSS') {
  const status = readFileSync(`/proc/${server.pid}/status`, 'utf8');
  const kb = Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return `${(kb / 1024).toFixed(0)} MB`;
}

async function json(method, url, body, headers = {}) {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: await res.json() };
}

async function activeUser(email, password) {
  await json('POST', '/api/users', { name: 'Bench', email, password, confirmation: password });
  // No SMTP_URL: the mail is a file under DATA_DIR/mail; follow its link like a person would.
  for (let i = 0; i < 50; i++) {
    let files = [];
    try {
      files = readdirSync(path.join(dataDir, 'mail'));
    } catch {
      /* the mail directory appears with the first mail */
    }
    files = files.filter((f) => f.endsWith('-activation.eml'));
    const link = files
      .map((f) => readFileSync(path.join(dataDir, 'mail', f), 'utf8').replace(/=\r?\n/g, ''))
      .find((eml) => eml.includes(email))
      ?.match(/https?:\/\/\S+\/activate\/[\w-]+/)?.[0];
    if (link) {
      await fetch(`${base}${new URL(link).pathname}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no activation mail');
}

function run(name, { path: route, ...options }) {
  return autocannon({ url: `${base}${route}`, duration: DURATION, connections: 20, ...options }).then((result) => ({ name, result }));
}

function row({ name, result }) {
  const non2xx = result.non2xx + result.errors;
  return {
    scenario: name,
    'req/s': Math.round(result.requests.average),
    'p50 ms': result.latency.p50,
    'p99 ms': result.latency.p99,
    'max ms': result.latency.max,
    'non-2xx': non2xx,
    statuses: Object.entries(result.statusCodeStats ?? {})
      .map(([code, { count }]) => `${code}×${count}`)
      .join(' '),
  };
}

try {
  const password = 'rahasia123';
  await activeUser('bench@example.com', password);
  const login = await json('POST', '/api/users/login', { email: 'bench@example.com', password });
  const auth = { authorization: `Bearer ${login.body.access_token}` };
  const idle = rss();

  const rows = [];
  rows.push(row(await run('GET /api/health', { path: '/api/health' })));
  rows.push(row(await run('GET /api/users/me', { path: '/api/users/me', headers: auth })));
  rows.push(
    row(
      await run('POST /api/users/login', {
        path: '/api/users/login',
        method: 'POST',
        connections: 10,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'bench@example.com', password }),
      }),
    ),
  );
  // The event loop under a burst of logins: /me measured while 10 logins are always in flight.
  const [me, logins] = await Promise.all([
    run('GET /api/users/me during logins', { path: '/api/users/me', headers: auth }),
    run('  (the logins meanwhile)', {
      path: '/api/users/login',
      method: 'POST',
      connections: 10,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'bench@example.com', password }),
    }),
  ]);
  rows.push(row(me), row(logins));
  rows.push(
    row(
      await run('POST /api/users (400, validation)', {
        path: '/api/users',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: '', email: 'nope', password: 'x', confirmation: 'y' }),
      }),
    ),
  );

  console.log(`\n${DURATION} s per scenario, 20 connections (10 for logins), BCRYPT_COST=${process.env.BCRYPT_COST ?? 10}, loopback\n`);
  console.table(rows);
  console.log(`RSS: ${idle} idle after start-up, ${rss()} at the end, ${rss('VmHWM')} peak`);
} finally {
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
}
