// One fresh process of the cold-path stage benchmark (bench/cold-path.ts):
// times, in order, the stages `serve --config-dir` runs before /ready apart
// from translation, and prints them as one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { performance, PerformanceObserver } from 'node:perf_hooks';

interface Stage {
  wallMs: number;
  /** The whole process's CPU time (every thread: GC helpers, a parse worker). */
  cpuMs: number;
  /** The main thread's alone: what the stage's wall time is made of when the other threads find a free core. */
  mainCpuMs: number;
  gcMs: number;
  rssMiB: number;
}

/** The main thread's CPU time so far (Linux: its task's utime + stime, in 10 ms ticks). */
function mainCpu(): number {
  try {
    const f = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return NaN;
  }
}

let gcMs = 0;
new PerformanceObserver((l) => {
  for (const e of l.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

const stages: Record<string, Stage> = {};
let lastWall = performance.now();
let lastCpu = process.cpuUsage();
let lastGc = 0;
let lastMain = 0;
/** GC entries reach the observer a tick late: let them arrive before a stage closes. */
const settle = () => new Promise((r) => setTimeout(r, 0));

async function mark(name: string): Promise<void> {
  await settle();
  const now = performance.now();
  const c = process.cpuUsage(lastCpu);
  stages[name] = {
    wallMs: now - lastWall,
    cpuMs: (c.user + c.system) / 1000,
    mainCpuMs: mainCpu() - lastMain,
    gcMs: gcMs - lastGc,
    rssMiB: process.memoryUsage.rss() / 2 ** 20,
  };
  lastWall = now;
  lastCpu = process.cpuUsage();
  lastGc = gcMs;
  lastMain = mainCpu();
}

async function main(): Promise<void> {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: cold-path-child <config-dir>');
  // Process start up to this script's first line (Node's own boot).
  const boot = process.cpuUsage();
  stages.boot = {
    wallMs: performance.now(),
    cpuMs: (boot.user + boot.system) / 1000,
    mainCpuMs: mainCpu(),
    gcMs: 0,
    rssMiB: process.memoryUsage.rss() / 2 ** 20,
  };
  lastWall = performance.now();
  lastCpu = process.cpuUsage();
  lastMain = mainCpu();
  // What `serve` loads before it starts its pipeline.
  /* eslint-disable @typescript-eslint/no-require-imports */
  require('../src/cli/main');
  require('../src/cli/serve');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { DirectorySource } = await import('../src/watch/directory');
  const { AddressAssigningSource } = await import('../src/watch/address-source');
  const { ConfigStore } = await import('../src/watch/store');
  const { buildAmbientIndex } = await import('../src/ambient');
  const { StatusTracker } = await import('../src/translate/status/status-tracker');
  const { DEFAULT_OPTIONS } = await import('../src/translate');
  await mark('modules');
  const directory = new DirectorySource(dir);
  const source = new AddressAssigningSource(directory);
  // Flushed below, as serve does right after the source starts (not on a timer).
  const store = new ConfigStore(60_000);
  store.hold();
  store.attach(source);
  await source.start();
  await mark('directory');
  store.flush();
  await mark('flush');
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const index = buildAmbientIndex(store.world, opts);
  await mark('ambient');
  const statuses = new StatusTracker(opts).update(store.world, index, 'all');
  await mark('statuses');
  const total = Object.values(stages).reduce(
    (a, s) => ({
      wallMs: a.wallMs + s.wallMs,
      cpuMs: a.cpuMs + s.cpuMs,
      mainCpuMs: a.mainCpuMs + s.mainCpuMs,
      gcMs: a.gcMs + s.gcMs,
    }),
    { wallMs: 0, cpuMs: 0, mainCpuMs: 0, gcMs: 0 },
  );
  const errors = source.errors().length;
  const peak = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  process.stdout.write(
    JSON.stringify({
      stages,
      total,
      peakMiB: peak ? Number(peak[1]) / 1024 : NaN,
      heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
      objects: directory.objects().length,
      statuses: statuses.length,
      waypoints: index.waypoints.size,
      errors,
    }) + '\n',
  );
  await source.stop();
  process.exit(0);
}

void main();
