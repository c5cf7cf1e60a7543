// Runs the compiled test files with node's built-in test runner. Node 20 has
// no glob support for --test, so we find the files ourselves. Arguments narrow
// the run: `npm test -- xds` runs files whose path contains "xds".
import { spawn } from 'node:child_process';
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
// Each file runs in a node --test process of its own, two at a time (this
// machine's cores), and its TAP summary is totalled here. Node's
// --test-force-exit is not used: it ended files before all of their tests had
// run (the golden suite stopped part-way) and still reported success. A real
// client library can leave a timer behind after its tests are done
// (grpc-js-xds keeps its xDS client's retry timers after its channels close),
// so a file that has printed its summary and not exited within a few seconds
// is ended; its summary already says how its tests went.
const CONCURRENCY = 2;
const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
const failedFiles = [];
/** Files that failed without a failing test to show for it (a crash, a load error). */
let crashed = 0;

const LINGER_MS = 3000;

function runFile(file) {
  return new Promise((resolve) => {
    const args = ['--test', '--test-reporter=tap', '--test-timeout=300000', file];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let ended = false;
    let lingering;
    child.stdout.on('data', (d) => {
      out += d;
      // The runner's last summary line: every test of the file has finished.
      if (!lingering && /^# duration_ms /m.test(out)) {
        lingering = setTimeout(() => {
          ended = true;
          child.kill('SIGKILL');
        }, LINGER_MS);
      }
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      clearTimeout(lingering);
      // Printed whole, so files running side by side do not interleave.
      process.stdout.write(`# file: ${relative(root, file)}\n${out}`);
      const counts = {};
      for (const m of out.matchAll(/^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/gm)) counts[m[1]] = Number(m[2]);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      if ((code !== 0 && !ended) || counts.tests === undefined || counts.fail > 0) {
        failedFiles.push(relative(root, file));
        if (!counts.fail) crashed++;
      }
      resolve();
    });
  });
}

const queue = [...files];
await Promise.all(
  Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
    while (queue.length > 0) await runFile(queue.shift());
  }),
);
for (const f of failedFiles) console.log(`# failed: ${f}`);
console.log(`# files ${files.length}, tests ${totals.tests}, cancelled ${totals.cancelled}, todo ${totals.todo}`);
// The plain closing line CI reads.
console.log(`${totals.pass} passed, ${totals.fail + crashed} failed, ${totals.skipped} skipped`);
process.exit(failedFiles.length > 0 || totals.fail > 0 ? 1 : 0);
