// `npm run bench`: the yardstick of issue 12. Drives ../shared/perf's runner (copied to a temp dir
// and installed there once, since shared/ may be read-only) with `--target both --project .`: the
// same load on this service and on the lean baseline, A B A B, on a throwaway PostgreSQL. Then
// prints the goal table: each figure beside the baseline's and the goal.
//   npm run bench                          # full run (both targets, 2 rounds, 10 s: 10-15 minutes)
//   npm run bench -- --duration 5 --rounds 1 --scenarios a,b   # anything else goes to run.mjs
//   npm run bench -- --json run.json       # also keep every figure there (the table is read from it)
//   PERF_DIR=/path/to/perf npm run bench   # another copy of the runner
//   BENCH_RESULT=/path/to/bench-….json npm run bench   # the goal table of an earlier run, no new run
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SOURCE = path.resolve(process.env.PERF_DIR ?? path.join(ROOT, '..', 'shared', 'perf'));
const COPY = path.join(tmpdir(), 'alat-berat-perf');
// The runner's arguments; a `--json FILE` among them is where the run's figures go (made absolute:
// the runner works in COPY), else a file of our own in COPY/data. The table below reads it back.
const passthrough = process.argv.slice(2);
const jsonAt = passthrough.indexOf('--json');
const jsonAsked = jsonAt >= 0 && jsonAt + 1 < passthrough.length;
if (jsonAsked) passthrough[jsonAt + 1] = path.resolve(passthrough[jsonAt + 1]);
const JSON_OUT = jsonAsked ? passthrough[jsonAt + 1] : path.join(COPY, 'data', `bench-${Date.now()}.json`);

const JSON_IN = process.env.BENCH_RESULT ? path.resolve(process.env.BENCH_RESULT) : JSON_OUT;
const status = process.env.BENCH_RESULT ? 0 : runTheRunner();

function runTheRunner() {
  if (!existsSync(path.join(SOURCE, 'run.mjs'))) {
    console.error(`no perf runner at ${SOURCE} (set PERF_DIR to a checkout of shared/perf)`);
    process.exit(2);
  }
  // A copy with its own node_modules, refreshed when the runner's lockfile or run.mjs changes.
  const stale = (file) =>
    !existsSync(path.join(COPY, file)) || statSync(path.join(SOURCE, file)).mtimeMs > statSync(path.join(COPY, file)).mtimeMs;
  if (stale('run.mjs') || stale('package-lock.json') || !existsSync(path.join(COPY, 'node_modules'))) {
    console.log(`copying the runner to ${COPY} and installing it (npm ci) ...`);
    rmSync(COPY, { recursive: true, force: true });
    cpSync(SOURCE, COPY, {
      recursive: true,
      filter: (src) => !src.includes(`${path.sep}node_modules`) && !src.includes(`${path.sep}data${path.sep}`),
    });
    const ci = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: COPY, stdio: 'inherit' });
    if (ci.status !== 0) process.exit(ci.status ?? 1);
  }
  mkdirSync(path.dirname(JSON_OUT), { recursive: true });
  rmSync(JSON_OUT, { force: true }); // an older run's file must not pass for this run's

  const args = ['run.mjs', '--target', 'both', '--project', ROOT, ...(jsonAsked ? [] : ['--json', JSON_OUT]), ...passthrough];
  console.log(`node ${args.join(' ')}`);
  const run = spawnSync(process.execPath, args, { cwd: COPY, stdio: 'inherit' });
  if (!existsSync(JSON_OUT)) process.exit(run.status ?? 1);
  return run.status ?? 0;
}

// ------------------------------------------------------------------ the goal table --
const result = JSON.parse(readFileSync(JSON_IN, 'utf8'));
const ours = result.targets.project;
const base = result.targets.baseline;
if (!ours || !base) {
  // `--target project` or `baseline` alone: the runner's own tables above are the figures; no ratios.
  console.log('\n(one target measured: no goal table, which needs both)');
  process.exit(status);
}
const fmt = (n, digits = 0) => (n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));
const part = (target, key, name = 'main') => target?.scenarios?.[key]?.mean?.[name];
const cpu = (target, key) => target?.scenarios?.[key]?.serverUsPerReq;
const other = (key) => Math.max(...['project', 'baseline'].map((t) => result.targets[t]?.scenarios?.[key]?.cpu?.otherPct ?? 0));
const mark = (ok) => (ok === undefined ? '' : ok ? 'yes' : 'NO');
const rows = [];
function row(label, key, name, goal) {
  const a = part(ours, key, name);
  const b = part(base, key, name);
  if (!a || !b) return;
  const ratio = a.okRps / b.okRps;
  const cpuRatio = cpu(ours, key) / cpu(base, key);
  const p99Ratio = a.p99 / b.p99;
  rows.push([
    label,
    `${fmt(a.okRps)} req/s, p99 ${fmt(a.p99, 1)} ms`,
    `${fmt(b.okRps)} req/s, p99 ${fmt(b.p99, 1)} ms`,
    fmt(ratio, 2),
    name === 'main' || key !== 'mixed' ? `${fmt(cpu(ours, key))} / ${fmt(cpu(base, key))} µs (${fmt(cpuRatio, 2)})` : '',
    goal.text,
    mark(goal.ok({ ratio, cpuRatio, p99Ratio })),
    `${fmt(other(key))} %`,
  ]);
}
row('GET /api/users/me', 'me', 'main', {
  text: '≥ 0.8 req/s, ≤ 1.3 CPU, p99 ≤ 2×',
  ok: (r) => r.ratio >= 0.8 && r.cpuRatio <= 1.3 && r.p99Ratio <= 2,
});
row('GET /api/users/:id', 'byId', 'main', {
  text: '≥ 0.8 req/s, ≤ 1.3 CPU, p99 ≤ 2×',
  ok: (r) => r.ratio >= 0.8 && r.cpuRatio <= 1.3 && r.p99Ratio <= 2,
});
row('POST /api/users/refresh', 'refresh', 'main', { text: '≥ 0.7 req/s', ok: (r) => r.ratio >= 0.7 });
row('/me while 10 connections log in', 'mixed', 'me', { text: '≥ 0.8 req/s, p99 ≤ 2×', ok: (r) => r.ratio >= 0.8 && r.p99Ratio <= 2 });
row('  … the logins meanwhile', 'mixed', 'login', { text: '', ok: () => undefined });
let limitDisturbed = false;
const login = part(ours, 'login');
if (login) {
  const limit = result.bcrypt.theoreticalLoginRps;
  const share = login.okRps / limit;
  const b = part(base, 'login');
  const baseShare = b ? b.okRps / limit : undefined;
  // The limit comes from hashes timed once, before the rounds. A target logging in faster than it
  // allows means the machine's speed changed between the two: the share cannot be read then.
  limitDisturbed = Math.max(share, baseShare ?? 0) > 1;
  rows.push([
    'POST /api/users/login (bcrypt 10)',
    `${fmt(login.okRps, 1)}/s = ${fmt(share * 100, 1)} % of the bcrypt limit`,
    b ? `${fmt(b.okRps, 1)}/s = ${fmt(baseShare * 100, 1)} %` : '–',
    b ? fmt(login.okRps / b.okRps, 2) : '–',
    '',
    `≥ 0.9 × ${fmt(limit, 1)}/s`,
    limitDisturbed ? '? (limit disturbed, below)' : mark(share >= 0.9),
    `${fmt(other('login'))} %`,
  ]);
}
rows.push([
  'start (`npm start`, spawn → health 200)',
  `${fmt(ours.startupMs / 1000, 2)} s`,
  `${fmt(base.startupMs / 1000, 2)} s`,
  '',
  '',
  '≤ 2 s',
  mark(ours.startupMs <= 2000),
  '',
]);
rows.push([
  'memory RSS idle / peak (server process)',
  `${fmt(ours.rss.idleServerMb)} / ${fmt(ours.rss.peakServerMb)} MiB`,
  `${fmt(base.rss.idleServerMb)} / ${fmt(base.rss.peakServerMb)} MiB`,
  '',
  '',
  '≤ 120 / ≤ 200 MiB',
  mark(ours.rss.idleServerMb <= 120 && ours.rss.peakServerMb <= 200),
  '',
]);
const header = ['route', 'this service', 'baseline', 'ratio req/s', 'CPU per request (ours / baseline)', 'goal', 'met', 'other CPU'];
console.log('\n=== issue 12 goal table ===');
console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  `\n"other CPU" is the most that processes outside the run took (of 200 %) in either target's runs: above 20 % the figures are disturbed.` +
    `\nStart-up as the runner measures it: \`npm start\` with DATABASE_URL (its own PostgreSQL); the embedded default adds its own start.` +
    `\nList and search at 100,000 users: \`npm run bench:list\`. Every figure: ${JSON_IN}`,
);
if (limitDisturbed) {
  console.log(
    `The login limit (${fmt(result.bcrypt.msMedian, 1)} ms per hash, timed before the rounds) was beaten by a target's logins:` +
      ' the machine ran at another speed then, so the share of the limit is not a figure this time (the ratio to the baseline still is).',
  );
}
process.exit(status);
