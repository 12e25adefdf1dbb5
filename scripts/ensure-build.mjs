// Compiles src/ to dist/ when a source file is newer than the last build (or there is none), so
// `npm start` and `npm run cli` always run current JavaScript with plain `node`, and an unchanged
// tree costs one directory walk instead of a compile. Plain JavaScript: it runs before any build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';

const STAMP = join('dist', '.tsbuildinfo');

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt() {
  try {
    return statSync(STAMP).mtimeMs;
  } catch {
    return -1;
  }
}

const sources = Math.max(newestMtime('src'), statSync('tsconfig.json').mtimeMs, statSync('tsconfig.build.json').mtimeMs);
if (process.argv.includes('--force') || builtAt() < sources) {
  const startedAt = new Date();
  const tsc = spawnSync(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  // tsc compares contents and leaves its build info alone when none changed, so a source whose
  // mtime moved without a change (a checkout, a stash) kept the stamp older than the sources:
  // every later start compiled again (~2.5 s each). The stamp says when the sources were last
  // compiled; a file saved during this compile is newer than it and is compiled next time.
  utimesSync(STAMP, startedAt, startedAt);
}
