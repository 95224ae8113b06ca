import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `npm start` and the CLI scripts run `node scripts/ensure-built.mjs <module> [args]`: it compiles
// when the tree is stale, then runs the module in its own process (one Node.js start, not two).
describe('scripts/ensure-built.mjs <module> (issue 12: start-up)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'ensure-built-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['probe.js', 'probe.mjs'])('runs %s in the same process, with the argv it would get from node', (name) => {
    const module = path.join(dir, name);
    const report = path.join(dir, `${name}.json`);
    const body = `process.exitCode = 3;
require('node:fs').writeFileSync(${JSON.stringify(report)}, JSON.stringify({ pid: process.pid, argv: process.argv.slice(1) }));`;
    writeFileSync(
      module,
      name.endsWith('.mjs')
        ? `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${body}`
        : body,
    );

    const run = spawnSync(process.execPath, ['scripts/ensure-built.mjs', module, 'create', '--name', 'x y'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(3); // the module's own exit code
    const seen = JSON.parse(readFileSync(report, 'utf8')) as { pid: number; argv: string[] };
    expect(seen.pid).toBe(run.pid);
    expect(seen.argv).toEqual([module, 'create', '--name', 'x y']);
  });

  it('without a module it only checks the build, as before', () => {
    const run = spawnSync(process.execPath, ['scripts/ensure-built.mjs'], { encoding: 'utf8', timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
  });
});
