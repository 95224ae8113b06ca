import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `npm run bench` ends with issue 12's goal table; BENCH_RESULT prints it from a run's JSON without
// running anything. Only the login row and the rows every run has are in these results.
describe('scripts/bench.mjs goal table (issue 12)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'bench-table-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A run's JSON whose logins made `ours` and `baseline` per second, at a 27.4/s limit. */
  const runResult = (ours: number, baseline: number) => {
    const target = (okRps: number) => ({
      startupMs: 1500,
      rss: { idleServerMb: 110, peakServerMb: 180 },
      scenarios: { login: { mean: { main: { okRps, p99: 3000 } }, serverUsPerReq: 78000, cpu: { otherPct: 2 } } },
    });
    return { bcrypt: { msMedian: 72.9, theoreticalLoginRps: 27.4 }, targets: { project: target(ours), baseline: target(baseline) } };
  };

  /** The table printed for a run whose logins made `ours` and `baseline` per second, at a 27.4/s limit. */
  function table(ours: number, baseline: number): string {
    const file = path.join(dir, `run-${ours}-${baseline}.json`);
    writeFileSync(file, JSON.stringify(runResult(ours, baseline)));
    const run = spawnSync(process.execPath, ['scripts/bench.mjs'], {
      encoding: 'utf8',
      env: { ...process.env, BENCH_RESULT: file },
      timeout: 30_000,
    });
    expect(run.status, run.stderr).toBe(0);
    return run.stdout;
  }
  const loginRow = (out: string) => out.split('\n').find((line) => line.startsWith('| POST /api/users/login'));

  it('gives the share of the limit with a decimal, so just under 90 % is not printed as 90 % beside NO', () => {
    const out = table(24.53, 23.6);
    expect(loginRow(out)).toContain('24.5/s = 89.5 % of the bcrypt limit');
    expect(loginRow(out)).toContain('| NO |');
    expect(out).not.toContain('limit disturbed');
  });

  it('says yes at 90 % of the limit and more', () => {
    expect(loginRow(table(24.8, 25.1))).toContain('| yes |');
  });

  it('gives no verdict when a target logged in faster than the limit allows (the machine changed speed)', () => {
    const out = table(25.0, 28.0); // the baseline at 102 % of the limit
    expect(loginRow(out)).toContain('| ? (limit disturbed, below) |');
    expect(out).toContain('The login limit (72.9 ms per hash, timed before the rounds) was beaten');
  });

  it('with --json FILE, the runner writes there (one --json, the path made absolute) and the table is read from it', () => {
    // A stand-in for ../shared/perf: its run.mjs records the arguments it got and writes a result
    // where its last --json says, as the real runner does.
    const perf = path.join(dir, 'perf');
    mkdirSync(perf, { recursive: true });
    writeFileSync(path.join(perf, 'package.json'), JSON.stringify({ name: 'fake-perf', version: '1.0.0', private: true }));
    writeFileSync(
      path.join(perf, 'package-lock.json'),
      JSON.stringify({
        name: 'fake-perf',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'fake-perf', version: '1.0.0' } },
      }),
    );
    writeFileSync(
      path.join(perf, 'run.mjs'),
      `import { writeFileSync } from 'node:fs';
const args = process.argv.slice(2);
writeFileSync(args[args.lastIndexOf('--json') + 1], JSON.stringify({ ...${JSON.stringify(runResult(24.8, 25.1))}, args }));`,
    );
    const temp = path.join(dir, 'tmp');
    mkdirSync(temp, { recursive: true });
    const run = spawnSync(process.execPath, [path.resolve('scripts/bench.mjs'), '--scenarios', 'c', '--json', 'run.json'], {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, PERF_DIR: perf, TMPDIR: temp },
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const written = path.join(dir, 'run.json');
    expect(existsSync(written)).toBe(true);
    const { args } = JSON.parse(readFileSync(written, 'utf8')) as { args: string[] };
    expect(args.filter((arg) => arg === '--json')).toHaveLength(1);
    expect(args[args.indexOf('--json') + 1]).toBe(written);
    expect(args).toEqual(expect.arrayContaining(['--target', 'both', '--scenarios', 'c']));
    expect(loginRow(run.stdout)).toContain('| yes |');
  }, 130_000);
});
