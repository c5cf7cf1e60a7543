// W7: encoding clusters on the path `serve` runs — a waypoint's cluster step
// (clusterResources: recipes, reuse of unchanged inputs, spliced encoding,
// content hash), and how many resources a re-translation encodes again
// although their bytes did not change.
import { spawnSync } from 'node:child_process';
import { encodeCounts, decodeMessage, encodeMessage, messageType, TypeUrl, type PreparedResource } from '../src/envoy';
import type { World } from '../src/model';
import { buildAmbientIndex } from '../src/ambient';
import { ServeStep } from '../src/server/pipeline-step';
import {
  DEFAULT_OPTIONS,
  IncrementalTranslator,
  translateAll,
  translateWaypoint,
  type WaypointOutput,
} from '../src/translate';
import { SnapshotCache } from '../src/xds/cache';
import { Reads } from '../src/translate/reads';
import { clusterResources } from '../src/translate/waypoint/resources';
import { buildWaypointIR } from '../src/translate/waypoint/waypoint-ir';
import type { WaypointIR } from '../src/translate/ir';
import { meshWorld } from './translate-bench';
import type { Row } from './report';
import { shippedEnv } from './malloc-env';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

interface Pass {
  clusters: number;
  wallMs: number;
  cpuMs: number;
}

/** One cluster step over every waypoint, as translateWaypoint runs it without a previous translation. */
function pass(irs: WaypointIR[]): Pass {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let clusters = 0;
  for (const ir of irs) clusters += clusterResources(ir).length;
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpu0);
  return { clusters, wallMs, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function irsOf(world: World): WaypointIR[] {
  const index = buildAmbientIndex(world, OPTS);
  return [...index.waypoints.values()].map((waypoint) =>
    buildWaypointIR({ world, index, waypoint, opts: OPTS, reads: new Reads() }),
  );
}

/**
 * Run as a child (`node dist/bench/encode-bench.js S`): the first cluster
 * step of a fresh process, nothing encoded before it — what serve's first
 * translation pays, JIT compilation included.
 */
function coldChild(services: number): void {
  const irs = irsOf(meshWorld(services));
  // Loading the proto registry is a once-per-process cost of its own
  // (serve pays it before its first translation), not the clusters'.
  const t0 = process.hrtime.bigint();
  messageType('envoy.config.cluster.v3.Cluster').resolveAll();
  const registryMs = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ ...pass(irs), registryMs }) + '\n');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const perSec = (n: number, ms: number) => (ms > 0 ? (n / ms) * 1000 : 0);
const k = (x: number) => `${Math.round(x / 1000).toLocaleString('en')}k`;

/** Resources in `next` encoded afresh although `prev` held the same bytes under that name. */
export function unchangedReencodes(prev: WaypointOutput, next: WaypointOutput): number {
  let n = 0;
  for (const [type, rs] of next.resources) {
    const old = new Map<string, PreparedResource>((prev.resources.get(type) ?? []).map((r) => [r.name, r]));
    for (const r of rs) {
      const o = old.get(r.name);
      if (o && o !== r && o.version === r.version) n++;
    }
  }
  return n;
}

const total = () => [...encodeCounts().values()].reduce((a, b) => a + b, 0);

export function w7(world: World, services: number, rounds = 5): Row[] {
  // Cold: a fresh process, n = `rounds`.
  const cold: Pass[] = [];
  for (let i = 0; i < rounds; i++) {
    const r = spawnSync(process.execPath, [__filename, String(services)], { encoding: 'utf8', env: shippedEnv() });
    if (r.status !== 0) throw new Error(`cold W7 child failed: ${r.stderr}`);
    cold.push(JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as Pass);
  }
  // Warm: this process, after W1 translated the same mesh.
  const irs = irsOf(world);
  const warm: Pass[] = [];
  for (let i = 0; i < rounds; i++) warm.push(pass(irs));
  const clusters = warm[0]?.clusters ?? 0;
  const spread = (ps: Pass[], f: (p: Pass) => number) => {
    const xs = ps.map(f).sort((a, b) => a - b);
    return `${k(xs[0] ?? 0)}–${k(xs[xs.length - 1] ?? 0)}`;
  };
  const rate = (p: Pass) => perSec(p.clusters, p.wallMs);
  const cpuRate = (p: Pass) => perSec(p.clusters, p.cpuMs);
  const coldRate = median(cold.map(rate));
  const coldCpu = median(cold.map(cpuRate));

  // Re-encodes: every waypoint translated again on an unchanged World, as a
  // full resync does (serve's 'all' step), with its previous translation.
  const first = translateAll(world, OPTS);
  const before = total();
  let unchanged = 0;
  let resources = 0;
  for (const prev of first.waypoints.values()) {
    const wp = first.index.waypoints.get(prev.key);
    if (!wp) continue;
    const next = translateWaypoint(world, first.index, wp, OPTS, prev);
    unchanged += unchangedReencodes(prev, next);
    for (const rs of next.resources.values()) resources += rs.length;
  }
  const encoded = total() - before;

  // The whole step serve runs (waypoints, workload API, proxyless views), run
  // again on the same World as a full resync does: nothing may be encoded.
  const step = new ServeStep(new IncrementalTranslator(OPTS), new SnapshotCache(), OPTS);
  step.run(world, 'all');
  const stepBefore = total();
  step.run(world, 'all');
  const stepEncoded = total() - stepBefore;

  // Stage figure: the generic encoder alone over decoded clusters.
  const bodies = [...first.waypoints.values()].flatMap((w) => w.resources.get(TypeUrl.Cluster) ?? []);
  const decoded = bodies.map((c) => decodeMessage('envoy.config.cluster.v3.Cluster', c.body));
  const stage: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    for (const d of decoded) encodeMessage('envoy.config.cluster.v3.Cluster', d as never);
    stage.push(perSec(decoded.length, Number(process.hrtime.bigint() - t0) / 1e6));
  }

  return [
    {
      workload: 'W7 cluster step, fresh process (real path)',
      size: `${services} services, ${clusters} clusters, n=${rounds}`,
      figure: `median ${k(coldRate)} clusters/s (${spread(cold, rate)}); CPU ${k(coldCpu)}/s (${spread(cold, cpuRate)})`,
      floor: '—',
      ratio: '—',
      target: '≥ 100k clusters/s',
      met: coldRate >= 100_000,
      detail: { cold },
    },
    {
      workload: 'W7 cluster step, after one translation (real path)',
      size: `${services} services, ${clusters} clusters, n=${rounds}`,
      figure: `median ${k(median(warm.map(rate)))} clusters/s (${spread(warm, rate)}); CPU ${k(median(warm.map(cpuRate)))}/s`,
      floor: '—',
      ratio: '—',
      target: '≥ 100k clusters/s',
      met: median(warm.map(rate)) >= 100_000,
      detail: { warm },
    },
    {
      workload: 'W7 re-encodes of unchanged resources',
      size: `${services} services, every waypoint translated again, ${resources} resources`,
      figure: `${unchanged} re-encoded unchanged (${encoded} encodes in all); serve's whole step again: ${stepEncoded} encodes`,
      floor: '—',
      ratio: '—',
      target: '0',
      met: unchanged === 0 && stepEncoded === 0,
      detail: { unchanged, encoded, resources, stepEncoded, encodeCounts: Object.fromEntries(encodeCounts()) },
    },
    {
      workload: 'W7 stage: generic encoder over decoded clusters',
      size: `${decoded.length} clusters, n=${rounds}`,
      figure: `median ${k(median(stage))} clusters/s`,
      floor: '—',
      ratio: '—',
      target: '(stage figure)',
      met: null,
    },
  ];
}

if (require.main === module) coldChild(Number(process.argv[2] ?? 1000));
