import { spawnSync } from 'node:child_process';
import path from 'node:path';

// Each case runs in its own Node.js process: V8 flags are process-wide and the young generation's
// size depends on everything the process allocated before.
const ROOT = path.resolve(__dirname, '..');
const CHILD = `
  const flags = process.argv[1] === 'with-flags' ? require('./src/heap-flags') : null;
  const v8 = require('node:v8');
  const young = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
  const kept = [];
  // Like loading the modules: ~40 MiB of objects that all survive.
  const load = () => { for (let i = 0; i < 1000000; i++) kept.push({ i, s: 'x' + i }); };
  load();
  const starting = young();
  if (flags) flags.startServing();
  load();
  console.log(JSON.stringify({ starting, serving: young() }));
`;

function youngGeneration(mode: 'with-flags' | 'without'): { starting: number; serving: number } {
  const child = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', CHILD, mode], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  expect(child.stderr).toBe('');
  return JSON.parse(child.stdout) as { starting: number; serving: number };
}

describe('heap flags (issue 12: idle RSS)', () => {
  it('keeps the young generation small while the app starts, and lets it grow to its maximum once serving', () => {
    const plain = youngGeneration('without');
    const ours = youngGeneration('with-flags');
    // Without the flags the survivors grow it to V8's maximum at once.
    expect(ours.starting).toBeLessThan(plain.starting);
    // Serving, it may grow as far as V8 would have let it: throughput under load is unchanged.
    expect(ours.serving).toBe(plain.serving);
  });
});
