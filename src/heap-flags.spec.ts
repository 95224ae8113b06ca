import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';

// Each case runs in its own Node.js process: V8 flags are process-wide and the young generation's
// size depends on everything the process allocated before.
const ROOT = path.resolve(__dirname, '..');
const CHILD = `
  const flags = process.argv[1] === 'with-flags' ? require('./src/heap-flags') : null;
  const v8 = require('node:v8');
  const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  const kept = [];
  // Like loading the modules: ~40 MiB of objects that all survive. The young generation's size is
  // sampled 20 times on the way: V8 grows it on scavenges and (optimising for size) shrinks it at
  // each full GC, so its size at any one moment is luck (1 to 32 MiB; 32 in 1 run of 12 on a
  // machine like CI's, and in a CI run) while its mean over the load is not.
  const samples = [];
  const load = () => {
    for (let i = 0; i < 1000000; i++) {
      kept.push({ i, s: 'x' + i });
      if (i % 50000 === 49999) samples.push(young());
    }
  };
  load();
  const starting = samples.reduce((a, b) => a + b, 0) / samples.length;
  const ending = young();
  if (flags) flags.startServing();
  // Serving: more survivors let V8 reach its maximum surely (one load left it at half now and then).
  for (let n = 0; n < 3; n++) load();
  console.log(JSON.stringify({ starting, ending, serving: young() }));
`;

/** The young generation's mean size while the child loads, and its size once it has served. */
type Young = { starting: number; ending: number; serving: number };

function youngGeneration(mode: 'with-flags' | 'without'): Young {
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD, mode], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(child.stderr, `${mode}: status ${child.status}`).toBe('');
  return JSON.parse(child.stdout) as Young;
}

describe('heap flags (issue 12: idle RSS)', () => {
  it('keeps the young generation small while the app starts, and lets it grow to its maximum once serving', () => {
    const plain = youngGeneration('without');
    const ours = youngGeneration('with-flags');
    // Without the flags the survivors grow it to V8's maximum at once and it stays there.
    const seen = JSON.stringify({ plain, ours }); // in the failure message: the sizes V8 chose
    expect(ours.starting, seen).toBeLessThan(0.8 * plain.starting);
    // Where the start ends is what idle RSS is made of: no larger than V8 begins it (1 MiB), where
    // without the flags the load leaves it at its maximum.
    expect(ours.ending, seen).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(plain.ending, seen).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    // Serving, it may grow as far as V8 would have let it: throughput under load is unchanged.
    expect(ours.serving, seen).toBe(plain.serving);
  });

  it('caps the young generation and sizes V8’s threads to the cores in every command that runs the service', () => {
    // Node.js takes both only on the command line, so each way of starting the service must carry them.
    const FLAGS = ['--max-semi-space-size=8', '--v8-pool-size=0'];
    const FLAG = FLAGS.join(' ');
    const listed = (quote: string) => FLAGS.map((flag) => `${quote}${flag}${quote}`).join(', ');
    const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const runs = Object.entries(scripts).filter(([, command]) => command.includes('dist/src/main.js'));
    expect(runs.map(([name]) => name).sort()).toEqual(['start', 'start:prod']);
    // `npm start` runs it through ensure-built.mjs, in that same process (one Node.js start).
    for (const [name, command] of runs)
      expect(command, name).toMatch(new RegExp(`^node ${FLAG} (scripts/ensure-built\\.mjs )?dist/src/main\\.js$`));
    expect(readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')).toContain(`CMD ["node", ${listed('"')}, "dist/src/main.js"]`);
    for (const script of ['scripts/two-instances.mjs', 'scripts/bench-server.mjs']) {
      expect(readFileSync(path.join(ROOT, script), 'utf8'), script).toContain(`[${listed("'")}, 'dist/src/main.js']`);
    }
  });

  it('--v8-pool-size=0 gives V8 one helper thread fewer than the cores (at least one) instead of four', () => {
    // Node.js starts V8's helper threads with the process: count them, idle, with and without it.
    const threads = (flags: string[]) =>
      Number(
        spawnSync(process.execPath, [...flags, '-e', "console.log(require('fs').readdirSync('/proc/self/task').length)"], {
          encoding: 'utf8',
        }).stdout,
      );
    const helpers = Math.max(1, availableParallelism() - 1);
    expect(threads([]) - threads(['--v8-pool-size=0'])).toBe(4 - helpers);
  });
});
