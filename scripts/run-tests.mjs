// Runs the compiled test files with node's built-in test runner. Node 20 has
// no glob support for --test, so we find the files ourselves. Arguments narrow
// the run: `npm test -- xds` runs files whose path contains "xds".
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(fileURLToPath(import.meta.url), '..', '..');
const testDir = join(root, 'dist', 'test');
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const files = walk(testDir).filter(
  (f) => filters.length === 0 || filters.some((x) => relative(testDir, f).includes(x)),
);
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
// --test-force-exit: a file whose tests have all finished exits even if a
// real client library left a timer behind (grpc-js-xds keeps its xDS client's
// retry timers after its channels close), instead of hanging until the timeout.
const args = ['--test', '--test-concurrency=2', '--test-timeout=300000', '--test-force-exit', ...files];
const res = spawnSync(process.execPath, args, {
  stdio: 'inherit',
  env: { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
});
process.exit(res.status ?? 1);
