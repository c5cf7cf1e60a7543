// --scale: how far past the targets one server goes. Each size runs serve's
// first full step (ServeStep over the whole World) in fresh processes under
// the shipped runtime (`--runs`, 3 by default here) and reports the median
// and range of its time and memory; between sizes, the memory and time each
// added service costs, from the medians. Where that marginal cost rises
// with size, cost per service grows faster than linearly. The largest mesh
// that fits in 4 GiB is extrapolated from the last marginal cost, and shown
// next to V8's heap limit, which may bind first.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { ServeStep } from '../src/server/pipeline-step';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../src/translate';
import { SnapshotCache } from '../src/xds';
import { shippedEnv } from './malloc-env';
import type { Row } from './report';
import { load, median, spreadOf, timed } from './stats';
import { meshWorld } from './translate-bench';

interface Point {
  services: number;
  /** RSS with the World built, before the step. */
  worldMiB: number;
  rssMiB: number;
  peakMiB: number;
  heapUsedMiB: number;
  heapLimitMiB: number;
  stepMs: number;
  stepCpuMs: number;
  load: number;
}

const GIB4 = 4096;

function vm(field: string): number {
  const s = readFileSync('/proc/self/status', 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
}

function child(services: number): void {
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const world = meshWorld(services);
  const worldMiB = vm('VmRSS');
  const step = new ServeStep(new IncrementalTranslator(opts), new SnapshotCache(), opts);
  const r = timed(() => step.run(world, 'all'));
  const h = getHeapStatistics();
  const p: Omit<Point, 'load'> = {
    services,
    worldMiB,
    rssMiB: vm('VmRSS'),
    peakMiB: vm('VmHWM'),
    heapUsedMiB: h.used_heap_size / 2 ** 20,
    heapLimitMiB: h.heap_size_limit / 2 ** 20,
    stepMs: r.wallMs,
    stepCpuMs: r.cpuMs,
  };
  process.stdout.write(JSON.stringify(p) + '\n');
}

/** One size's fresh-process points, and the point of their medians that the marginals are taken from. */
interface Size {
  runs: Point[];
  med: Point;
}

function measure(services: number): Point | undefined {
  process.stderr.write(`  scale: ${services} services in a fresh process…\n`);
  const l = load();
  const p = spawnSync(process.execPath, [__filename, String(services)], {
    encoding: 'utf8',
    env: shippedEnv(),
    maxBuffer: 1 << 20,
  });
  if (p.status !== 0) {
    process.stderr.write(`  scale: ${services} services failed (${p.signal ?? p.status}): ${p.stderr.slice(-400)}\n`);
    return undefined;
  }
  return { ...(JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as Point), load: l };
}

const FIELDS = ['worldMiB', 'rssMiB', 'peakMiB', 'heapUsedMiB', 'heapLimitMiB', 'stepMs', 'stepCpuMs', 'load'] as const;

/** Each size `runs` times, each run a fresh process; sizes interleaved, so a slow minute of the machine spreads over all of them. */
export function scaleBench(sizes: readonly number[], runs = 3): Row[] {
  const bySize = new Map<number, Point[]>(sizes.map((s) => [s, []]));
  for (let r = 0; r < runs; r++)
    for (const services of sizes) {
      const p = measure(services);
      if (p) bySize.get(services)!.push(p);
    }
  const measured: Size[] = [];
  for (const services of sizes) {
    const ps = bySize.get(services)!;
    if (ps.length === 0) break;
    const med = { services } as Point;
    for (const f of FIELDS) med[f] = median(ps.map((p) => p[f]));
    measured.push({ runs: ps, med });
  }
  const points = measured.map((m) => m.med);
  const spread = (i: number, f: (typeof FIELDS)[number], unit: (n: number) => string) => {
    const s = spreadOf(measured[i]!.runs.map((p) => p[f]));
    return s.n > 1 ? `${unit(s.median)} (${unit(s.min)}–${unit(s.max)}, n=${s.n})` : unit(s.median);
  };
  const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const mib = (n: number) => `${n.toFixed(0)} MiB`;
  const rows: Row[] = points.map((p, i) => {
    const prev = points[i - 1];
    const dS = prev ? p.services - prev.services : p.services;
    const marginal = prev ? ((p.peakMiB - prev.peakMiB) * 1024) / dS : (p.peakMiB * 1024) / p.services;
    // CPU time, not wall: on a shared machine wall time mostly measures the other work.
    const marginalMs = prev ? (p.stepCpuMs - prev.stepCpuMs) / dS : p.stepCpuMs / p.services;
    return {
      workload: 'scale: first full step, fresh process',
      size: `${p.services} services`,
      figure: `step CPU ${spread(i, 'stepCpuMs', sec)} (wall ${spread(i, 'stepMs', sec)}); peak RSS ${spread(i, 'peakMiB', mib)} (World alone ${mib(p.worldMiB)}), heap used ${spread(i, 'heapUsedMiB', mib)}`,
      floor: '—',
      ratio: '—',
      target: prev
        ? `${marginal.toFixed(1)} KiB and ${(marginalMs * 1000).toFixed(0)} µs CPU per added service since ${prev.services}`
        : `${marginal.toFixed(1)} KiB and ${(marginalMs * 1000).toFixed(0)} µs CPU per service`,
      met: null,
      load: measured[i]!.runs.map((r) => r.load),
      detail: { ...p, runs: measured[i]!.runs, marginalKiBPerService: marginal, marginalMsPerService: marginalMs },
    };
  });
  const last = points[points.length - 1];
  const prev = points[points.length - 2];
  if (last && prev) {
    const perSvc = (last.peakMiB - prev.peakMiB) / (last.services - prev.services);
    const fit = Math.floor(last.services + (GIB4 - last.peakMiB) / perSvc);
    const heapFit = Math.floor(
      last.services +
        (last.heapLimitMiB - last.heapUsedMiB) /
          ((last.heapUsedMiB - prev.heapUsedMiB) / (last.services - prev.services)),
    );
    rows.push({
      workload: 'scale: largest mesh in 4 GiB (extrapolated from the last step)',
      size: `fit over ${prev.services}–${last.services} services`,
      figure: `~${fit.toLocaleString('en')} services by peak RSS; V8 heap limit ${last.heapLimitMiB.toFixed(0)} MiB reached at ~${heapFit.toLocaleString('en')}`,
      floor: '—',
      ratio: '—',
      target: '(step only: parsing and clients add to it, see W8 and W4)',
      met: null,
      load: [last.load],
      detail: { points },
    });
  }
  return rows;
}

if (require.main === module) child(Number(process.argv[2] ?? 1000));
