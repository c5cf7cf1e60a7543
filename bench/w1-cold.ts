// W1: the first full step `serve` runs (ServeStep over the whole World:
// waypoints, workload API, proxyless views, into the cache), each run in a
// fresh process as a starting server meets it, next to a floor that encodes
// the same messages with protobufjs and is checked to write the same bytes.
// Reading and parsing the files is W8's (dir-bench.ts); here the World is
// built in memory first and not timed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PUSH_ORDER, type PreparedResource } from '../src/envoy';
import { ServeStep } from '../src/server/pipeline-step';
import { DEFAULT_OPTIONS, IncrementalTranslator, translateAll } from '../src/translate';
import { SnapshotCache } from '../src/xds';
import { buildFloor } from './floor';
import type { Row } from './report';
import { fmtSpread, load, median, mibUnit, msUnit, timed } from './stats';
import { meshWorld } from './translate-bench';
import { shippedEnv } from './malloc-env';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

interface ColdRun {
  resources: number;
  waypoints: number;
  wallMs: number;
  cpuMs: number;
  stages: { waypoints: number; workloadApi: number; proxyless: number };
  rssMiB: number;
  peakMiB: number;
  floorWallMs: number;
  floorCpuMs: number;
  floorDiffering: number;
  /** translateAll alone, after the step (stage figure, warm). */
  translateAllMs: number;
}

function vm(field: string): number {
  try {
    const s = readFileSync('/proc/self/status', 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? NaN) / 1024;
  } catch {
    return NaN;
  }
}

/** One cold run, printed as a JSON line (`node dist/bench/w1-cold.js S`). */
function child(services: number): void {
  const world = meshWorld(services);
  const cache = new SnapshotCache();
  const step = new ServeStep(new IncrementalTranslator(OPTS), cache, OPTS);
  const r = timed(() => step.run(world, 'all'));
  const rssMiB = vm('VmRSS');
  const peakMiB = vm('VmHWM');
  // Every distinct resource the step put in the cache (waypoints share their Workload map).
  const seen = new Set<PreparedResource>();
  for (const key of cache.keys())
    for (const t of PUSH_ORDER) for (const res of cache.get(key, t).values()) seen.add(res);
  const floor = buildFloor([...seen]);
  // protobufjs's encoders are not on our path: the floor's first run is as
  // cold as our step was (code generation included on both sides).
  const f = timed(() => floor.run());
  const stage = timed(() => translateAll(world, OPTS));
  const out: ColdRun = {
    resources: seen.size,
    waypoints: r.value.step.index.waypoints.size,
    wallMs: r.wallMs,
    cpuMs: r.cpuMs,
    stages: r.value.times,
    rssMiB,
    peakMiB,
    floorWallMs: f.wallMs,
    floorCpuMs: f.cpuMs,
    floorDiffering: floor.differing(f.value),
    translateAllMs: stage.wallMs,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
}

export function w1Cold(services: number, runs: number): Row[] {
  const res: ColdRun[] = [];
  const loads: number[] = [];
  for (let i = 0; i < runs; i++) {
    loads.push(load());
    // The shipped runtime: the image's environment, no --expose-gc.
    const p = spawnSync(process.execPath, [__filename, String(services)], {
      encoding: 'utf8',
      env: shippedEnv(),
      maxBuffer: 1 << 20,
    });
    if (p.status !== 0) throw new Error(`W1 child failed: ${p.stderr}`);
    res.push(JSON.parse(p.stdout.trim().split('\n').pop() ?? '{}') as ColdRun);
    // Each run as it ends: a long run cut short still leaves its finished runs.
    process.stderr.write(`  W1 run ${i + 1}/${runs}: ${JSON.stringify({ load: loads[i], ...res[i] })}\n`);
  }
  const first = res[0]!;
  const ratios = res.map((r) => r.wallMs / r.floorWallMs);
  const cpuRatios = res.map((r) => r.cpuMs / r.floorCpuMs);
  const x = (n: number) => `${n.toFixed(2)}×`;
  const differing = Math.max(...res.map((r) => r.floorDiffering));
  const at10k = services >= 10_000;
  return [
    {
      workload: "W1 serve's first full step (cold)",
      size: `${services} services, ${first.waypoints} waypoints, ${first.resources} resources`,
      figure: `wall ${fmtSpread(
        res.map((r) => r.wallMs),
        msUnit,
      )}; CPU ${fmtSpread(
        res.map((r) => r.cpuMs),
        msUnit,
      )}; peak RSS ${fmtSpread(
        res.map((r) => r.peakMiB),
        mibUnit,
      )}`,
      floor: `${fmtSpread(
        res.map((r) => r.floorWallMs),
        msUnit,
      )} (protobufjs, same messages; ${differing === 0 ? 'byte-identical' : `${differing} resources DIFFER`})`,
      ratio: `${x(median(ratios))} (${x(Math.min(...ratios))}–${x(Math.max(...ratios))}); CPU ${x(median(cpuRatios))}`,
      target: at10k ? '≤ 1 s; peak RSS ≤ 1 GiB' : '(set at 10k)',
      met: at10k ? median(res.map((r) => r.wallMs)) <= 1000 && median(res.map((r) => r.peakMiB)) <= 1024 : null,
      load: loads,
      detail: { runs: res },
    },
    {
      workload: 'W1 stage: translateAll after the step (warm)',
      size: `${services} services`,
      figure: fmtSpread(
        res.map((r) => r.translateAllMs),
        msUnit,
      ),
      floor: '—',
      ratio: '—',
      target: '(stage figure)',
      met: null,
      load: loads,
    },
  ];
}

if (require.main === module) child(Number(process.argv[2] ?? 1000));
