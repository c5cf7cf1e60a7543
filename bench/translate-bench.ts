// W2 (incremental edits: serve's whole step for one change) and the
// benchmark mesh as a World. W1 is in w1-cold.ts, W7 in encode-bench.ts.
import { encodeCounts, TypeUrl } from '../src/envoy';
import { applyChanges, EMPTY_WORLD, get as getObject, type KindName, type KubeObject, type World } from '../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../src/translate';
import { ServeStep } from '../src/server/pipeline-step';
import { SnapshotCache } from '../src/xds';
import { unchangedReencodes } from './encode-bench';
import { generateMesh, nsName, svcName, type MeshOptions } from './mesh';
import { timeIt, type Row } from './report';
import { fmtSpread, load, msUnit } from './stats';

export function meshWorld(services: number, opts: Omit<MeshOptions, 'services'> = {}): World {
  const objects = generateMesh({ ...opts, services }) as unknown as KubeObject[];
  return applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
}

const countAll = () => [...encodeCounts().values()].reduce((a, b) => a + b, 0);

function versions(t: IncrementalTranslator, key: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [type, rs] of t.outputs.get(key)?.resources ?? []) out.set(type, rs.map((r) => r.version).join(','));
  return out;
}

const SHORT: Record<string, string> = {
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.Endpoint]: 'EDS',
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.Route]: 'RDS',
};

export function w2(world0: World, services: number, reps = 5): Row[] {
  // The whole step serve runs for a change (ServeStep: waypoints, workload
  // API, proxyless views, cache), not the translator alone.
  const t = new IncrementalTranslator({ ...DEFAULT_OPTIONS, assumeReady: true });
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const serveStep = new ServeStep(t, new SnapshotCache(), opts);
  let world = world0;
  serveStep.run(world, 'all');
  const ns = nsName(0);
  const svc = svcName(3);
  const get = (kind: KindName, name: string) => getObject(world, kind, ns, name) as KubeObject | undefined;
  // Each edit runs REPS times with a different value, so one GC pause does
  // not decide the figure; the row shows the median and the worst. The
  // first edits of a kind pay for compiling its paths, as a server's do.
  const REPS = reps;
  const edits: [string, (rep: number) => KubeObject, string][] = [
    [
      'edit one HTTPRoute',
      (rep) => ({
        ...get('HTTPRoute', svc)!,
        spec: {
          ...(get('HTTPRoute', svc)!.spec as object),
          rules: [
            {
              backendRefs: [
                { name: svc, port: 80, weight: 50 + rep },
                { name: svcName(4), port: 80, weight: 50 - rep },
              ],
            },
          ],
        },
      }),
      'RDS',
    ],
    // A pod moving shows up as its EndpointSlice changing address.
    [
      'move one pod',
      (rep) => {
        const slice = get('EndpointSlice', `${svc}-abc12`)! as KubeObject & { endpoints: { addresses: string[] }[] };
        return {
          ...slice,
          endpoints: slice.endpoints.map((e, i) => (i === 0 ? { ...e, addresses: [`10.250.0.${rep + 1}`] } : e)),
        } as KubeObject;
      },
      'EDS',
    ],
    [
      'edit one AuthorizationPolicy',
      (rep) => ({
        ...get('AuthorizationPolicy', `allow-${svcName(0)}`)!,
        spec: {
          ...(get('AuthorizationPolicy', `allow-${svcName(0)}`)!.spec as object),
          action: rep % 2 === 0 ? 'DENY' : 'ALLOW',
        },
      }),
      'LDS',
    ],
    // Created by the first edit, changed by the others: only the one
    // waypoint's clusters may change.
    [
      'edit one DestinationRule',
      (rep) => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: svc, namespace: ns },
        spec: {
          host: svc,
          trafficPolicy: { connectionPool: { tcp: { maxConnections: 100 + rep } }, loadBalancer: { simple: 'RANDOM' } },
        },
      }),
      'CDS',
    ],
  ];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const rows: Row[] = [];
  // Each waypoint's versions as of the last edit, brought up to date only for
  // the waypoints an edit translated: recomputing them for every waypoint
  // around each edit made garbage in proportion to the whole mesh's
  // resources, whose collection then fell inside the timed steps.
  const seen = new Map([...t.outputs.keys()].map((k) => [k, versions(t, k)]));
  for (const [what, make, expect] of edits) {
    const wall: number[] = [];
    const cpuTimes: number[] = [];
    const scopes = new Set<string>();
    let translated: string[] = [];
    const encodes: number[] = [];
    let unchanged = 0;
    for (let rep = 0; rep < REPS; rep++) {
      const before = seen;
      const prevOutputs = new Map(t.outputs);
      const encoded0 = countAll();
      const object = make(rep);
      // CPU time too: on a shared machine wall time also counts other processes' turns.
      const cpu0 = process.cpuUsage();
      const step = timeIt(() => {
        const r = applyChanges(world, [{ op: 'upsert', object }]);
        world = r.world;
        return serveStep.run(world, r.changed).step;
      });
      const cpu = process.cpuUsage(cpu0);
      encodes.push(countAll() - encoded0);
      for (const k of step.value.translated) {
        const p = prevOutputs.get(k);
        const n = t.outputs.get(k);
        if (p && n) unchanged += unchangedReencodes(p, n);
      }
      wall.push(step.ms);
      cpuTimes.push((cpu.user + cpu.system) / 1000);
      const changedTypes = new Set<string>();
      for (const k of step.value.translated) {
        const after = versions(t, k);
        for (const [type, v] of after) if (before.get(k)?.get(type) !== v) changedTypes.add(SHORT[type] ?? type);
        seen.set(k, after);
      }
      for (const k of step.value.removed) seen.delete(k);
      translated = step.value.translated;
      scopes.add(
        `${step.value.translated.length} waypoint(s); changed ${[...changedTypes].sort().join('+') || 'nothing'}`,
      );
    }
    const scope = [...scopes].join(' | ');
    rows.push({
      workload: `W2 ${what} (serve's whole step)`,
      size: `${services} services, n=${REPS} edits`,
      figure: `${fmtSpread(wall, msUnit)}; CPU ${fmtSpread(cpuTimes, msUnit)}; recomputed ${scope}; encoded ${median(encodes)} resources per edit, ${unchanged} of them unchanged`,
      floor: '—',
      ratio: '—',
      // The time is set at 10k services; at every size one waypoint and one type must be recomputed.
      target: `${services >= 10_000 ? '≤ 10 ms' : 'time set at 10k'}; 1 waypoint; ${expect} only`,
      met: (services < 10_000 || median(wall) <= 10) && scope === `1 waypoint(s); changed ${expect}` && unchanged === 0,
      load: [load()],
      detail: { wallMs: wall, cpuMs: cpuTimes, translated, scope, encodes, unchangedReencoded: unchanged },
    });
  }
  return rows;
}
