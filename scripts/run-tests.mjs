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
// machine's cores). Node's --test-force-exit is not used: it ended files
// before all of their tests had run (the golden suite stopped part-way) and
// still reported success. A real client library can leave a timer behind
// after its tests are done (grpc-js-xds keeps its xDS client's retry timers
// after its channels close), and then node prints no summary until the
// process would exit: a file that has printed nothing for IDLE_MS after its
// last top-level result is ended, and its results are counted from its TAP
// lines (a test that was still running would have printed since: the
// per-test timeout is far longer).
const CONCURRENCY = 2;
const env = { ...process.env, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };
const totals = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
const failedFiles = [];
/** Files that failed without a failing test to show for it (a crash, a load error). */
let crashed = 0;

const IDLE_MS = 20_000;

/** Leaf results of TAP output: every `ok`/`not ok` line whose YAML block does not say it is a suite. */
function countTap(out) {
  const lines = out.split('\n');
  const c = { tests: 0, pass: 0, fail: 0, skipped: 0, todo: 0, cancelled: 0 };
  for (let i = 0; i < lines.length; i++) {
    const m = /^\s*(ok|not ok) \d+ - .*?(# SKIP|# TODO)?$/.exec(lines[i]);
    if (!m) continue;
    let suite = false;
    if (/^\s*---$/.test(lines[i + 1] ?? '')) {
      for (let j = i + 2; j < lines.length && !/^\s*\.\.\.$/.test(lines[j]); j++)
        if (/type: 'suite'/.test(lines[j])) suite = true;
    }
    if (suite) continue;
    c.tests++;
    if (m[2] === '# SKIP') c.skipped++;
    else if (m[2] === '# TODO') c.todo++;
    else if (m[1] === 'ok') c.pass++;
    else c.fail++;
  }
  return c;
}

/** The `node --test` processes running, each the leader of its own process group. */
const running = new Set();

/**
 * Ends a file's whole process group: `node --test` runs the file in a child
 * process of its own, which killing the runner alone would leave running.
 */
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    for (const c of running) killGroup(c);
    process.exit(130);
  });

function runFile(file) {
  return new Promise((resolve) => {
    const args = ['--test', '--test-reporter=tap', '--test-timeout=300000', file];
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    running.add(child);
    let out = '';
    let ended = false;
    let idle;
    const watch = () => {
      clearTimeout(idle);
      // Only after a top-level result (a nested one's YAML is indented further):
      // a running test prints nothing for a while too.
      const last = out.trimEnd().split('\n').at(-1) ?? '';
      if (/^(ok|not ok) \d+ - /.test(last) || last === '  ...')
        idle = setTimeout(() => {
          ended = true;
          killGroup(child);
        }, IDLE_MS);
    };
    child.stdout.on('data', (d) => {
      out += d;
      watch();
    });
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => {
      clearTimeout(idle);
      running.delete(child);
      // Whatever the file started and left behind goes with it.
      killGroup(child);
      // Printed whole, so files running side by side do not interleave.
      process.stdout.write(
        `# file: ${relative(root, file)}\n${out}${ended ? '# ended after its last result: it left handles open\n' : ''}`,
      );
      const summary = {};
      for (const m of out.matchAll(/^# (tests|pass|fail|skipped|todo|cancelled) (\d+)$/gm))
        summary[m[1]] = Number(m[2]);
      const counts = summary.tests !== undefined ? summary : countTap(out);
      for (const k of Object.keys(totals)) totals[k] += counts[k] ?? 0;
      // A file with no summary and no result at all did not run (a load error, a crash).
      const ranNothing = summary.tests === undefined && counts.tests === 0;
      if ((code !== 0 && !ended) || ranNothing || counts.fail > 0) {
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
