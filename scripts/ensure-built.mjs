// `npm start` and the CLI scripts start here: it compiles only when dist/ is missing or older than
// the sources, so starting an up-to-date tree costs no tsc (a full build is ~4 s on two shared
// cores), then runs the module it was given (below).
// "Older" = some file under src/ (or a tsconfig, package.json, ormconfig.ts) is newer than the
// stamp `npm run build` writes last. A fresh clone has no stamp, so `npm ci && npm start` builds.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = path.resolve(import.meta.dirname, '..');
const STAMP = path.join(ROOT, 'dist', '.build-stamp');
const INPUTS = ['src', 'libs', 'ormconfig.ts', 'tsconfig.json', 'tsconfig.build.json', 'package.json', 'package-lock.json'];

function newest(entry) {
  let stat;
  try {
    stat = statSync(entry);
  } catch {
    return 0; // an optional input (libs/) that is absent
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted file changes its directory's mtime
  for (const name of readdirSync(entry)) latest = Math.max(latest, newest(path.join(entry, name)));
  return latest;
}

function stampTime() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

const stamp = stampTime();
const sources = Math.max(...INPUTS.map((input) => newest(path.join(ROOT, input))));
if (stamp < sources) {
  console.error(stamp < 0 ? 'no build yet: compiling' : 'sources changed since the last build: compiling');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

// `node scripts/ensure-built.mjs dist/src/main.js [args]` then runs that module in this same
// process, as `node dist/src/main.js [args]` would (it sees the same process.argv): one Node.js
// start instead of two, 100-140 ms of every `npm start` on two shared cores (issue 12).
const [, , entry] = process.argv;
if (entry !== undefined) {
  const file = path.resolve(ROOT, entry);
  process.argv.splice(1, 2, file);
  await import(pathToFileURL(file).href);
}
