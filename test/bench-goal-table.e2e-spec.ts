import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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

  /** The table printed for a run whose logins made `ours` and `baseline` per second, at a 27.4/s limit. */
  function table(ours: number, baseline: number): string {
    const target = (okRps: number) => ({
      startupMs: 1500,
      rss: { idleServerMb: 110, peakServerMb: 180 },
      scenarios: { login: { mean: { main: { okRps, p99: 3000 } }, serverUsPerReq: 78000, cpu: { otherPct: 2 } } },
    });
    const file = path.join(dir, `run-${ours}-${baseline}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        bcrypt: { msMedian: 72.9, theoreticalLoginRps: 27.4 },
        targets: { project: target(ours), baseline: target(baseline) },
      }),
    );
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
});
