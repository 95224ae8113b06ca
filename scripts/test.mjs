// Runs the whole suite with vitest, then prints the closing line CI reads ("N passed, N failed")
// and exits non-zero on a failure or when no test ran at all.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';

const report = path.resolve('.data', `test-report-${process.pid}.json`);
mkdirSync(path.dirname(report), { recursive: true });
rmSync(report, { force: true });

const vitest = path.resolve('node_modules', '.bin', 'vitest');
const run = spawnSync(vitest, ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const result = JSON.parse(readFileSync(report, 'utf8'));
  passed = result.numPassedTests;
  failed = result.numFailedTests;
  skipped = result.numPendingTests + result.numTodoTests;
  // A file that failed to load counts as a failure even though no test in it ran.
  failed += result.testResults.filter((file) => file.status === 'failed' && file.assertionResults.length === 0).length;
} catch {
  failed += 1;
  console.error('no vitest report was written');
}

rmSync(report, { force: true });
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
