// W5: steady churn against a connected fleet. The server (this process)
// applies 1 pod move/s, 1 route edit/10 s and 1 namespace relabel/min while
// Delta clients in another process ACK everything; we sample this process's
// CPU and RSS and count what the clients received.
import {
  get,
  objectKey,
  type KindName,
  type Change,
  type EndpointSlice,
  type HTTPRoute,
  type KubeObject,
  type Namespace,
  type Pod,
} from '../src/model';
import { BenchServer } from './bench-server';
import { benchNodes, Clients } from './client-process';
import { nsName, rng, svcName } from './mesh';
import { type Row } from './report';
import { meshWorld } from './translate-bench';

export interface ChurnOptions {
  services: number;
  clients: number;
  seconds: number;
  /** Only waypoints, as W3/W4/W6 measure; by default the whole step `serve` runs (workload API, proxyless too). */
  waypointsOnly?: boolean;
}

interface Sample {
  t: number;
  cpu: number;
  rss: number;
  heap: number;
  /** V8's committed heap, and memory outside it (Buffers' backing stores among it). */
  heapTotal: number;
  external: number;
}

/** Least-squares slope of y over x. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The fitted change over the run as a percentage of the mean. */
function driftPercent(samples: readonly Sample[], field: 'rss' | 'heap' | 'heapTotal' | 'external'): number {
  const xs = samples.map((s) => s.t);
  const ys = samples.map((s) => s[field]);
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(ys.length, 1);
  const span = (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
  return mean > 0 ? (100 * slope(xs, ys) * span) / mean : 0;
}

/** The three kinds of edit, each a pure function of the current World and a seeded random source. */
class Churn {
  private readonly random = rng(7);
  private moves = 0;
  private epoch = 0;

  constructor(
    private readonly bench: BenchServer,
    private readonly services: number,
  ) {}

  private get<T extends KubeObject>(kind: string, namespace: string | undefined, name: string): T {
    const o = get(this.bench.world, kind as KindName, namespace, name);
    if (!o) throw new Error(`churn: ${objectKey(kind, namespace, name)} is not in the mesh`);
    return o as T;
  }

  private pick(): { s: number; ns: string; svc: string } {
    const s = Math.floor(this.random() * this.services);
    return { s, ns: nsName(Math.floor(s / 100)), svc: svcName(s) };
  }

  /** A pod rescheduled: new node, new IP, and its EndpointSlice entry follows. */
  podMove(): Change[] {
    const { ns, svc } = this.pick();
    const p = Math.floor(this.random() * 5);
    const n = ++this.moves;
    const ip = `10.251.${(n >> 8) & 255}.${n & 255}`;
    const pod = this.get<Pod>('Pod', ns, `${svc}-${p}`);
    const slice = this.get<EndpointSlice>('EndpointSlice', ns, `${svc}-abc12`);
    const podName = pod.metadata.name;
    return [
      {
        op: 'upsert',
        object: {
          ...pod,
          spec: { ...pod.spec, nodeName: `node-${n % 10}` },
          status: { ...pod.status, podIP: ip, podIPs: [{ ip }] },
        } as Pod,
      },
      {
        op: 'upsert',
        object: {
          ...slice,
          endpoints: (slice.endpoints ?? []).map((e) =>
            e.targetRef?.name === podName ? { ...e, addresses: [ip] } : e,
          ),
        } as EndpointSlice,
      },
    ];
  }

  /** A canary weight shift on one route's weighted rule. */
  routeEdit(): Change[] {
    const { ns, svc } = this.pick();
    const route = this.get<HTTPRoute>('HTTPRoute', ns, svc);
    const w = 50 + Math.floor(this.random() * 50);
    const rules = (route.spec?.rules ?? []).map((r, i, all) =>
      i === all.length - 1
        ? { ...r, backendRefs: (r.backendRefs ?? []).map((b, j) => ({ ...b, weight: j === 0 ? w : 100 - w })) }
        : r,
    );
    return [{ op: 'upsert', object: { ...route, spec: { ...route.spec, rules } } as HTTPRoute }];
  }

  /** A label that matters to nobody's routing, as most relabels are; it still touches every binding in the namespace. */
  relabel(): Change[] {
    const { ns } = this.pick();
    const obj = this.get<Namespace>('Namespace', undefined, ns);
    const labels = { ...obj.metadata.labels, 'bench.istiod-lite/epoch': String(++this.epoch) };
    return [{ op: 'upsert', object: { ...obj, metadata: { ...obj.metadata, labels } } as Namespace }];
  }
}

const sleepUntil = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

export async function churnBench(o: ChurnOptions): Promise<Row[]> {
  const bench = new BenchServer(meshWorld(o.services), { serveStep: !o.waypointsOnly });
  const port = await bench.listen();
  const nodes = benchNodes(bench.waypoints, o.clients);
  const clients = new Clients();
  const churn = new Churn(bench, o.services);
  try {
    const synced = clients.wait('synced', 300_000);
    clients.send('start', { address: `127.0.0.1:${port}`, nodes });
    await synced;
    // Let the first-connect traffic drain and its garbage go (and RSS give
    // back what the first responses took) before measuring.
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 2500));
      global.gc?.();
    }
    await clients.receipts();

    const counts = { moves: 0, edits: 0, relabels: 0, pushes: 0, bytes: 0 };
    // Second i of the schedule. Offsets keep a short run's mix honest: a 20 s
    // run still sees two route edits and a relabel.
    const tick = (i: number): number => {
      const changes = churn.podMove();
      counts.moves++;
      if (i % 10 === 5) {
        changes.push(...churn.routeEdit());
        counts.edits++;
      }
      if (i % 60 === 15) {
        changes.push(...churn.relabel());
        counts.relabels++;
      }
      const a = process.hrtime.bigint();
      bench.apply(changes);
      return Number(process.hrtime.bigint() - a) / 1e6;
    };
    // Warm up under the same churn, so the heap has grown back to its working
    // size after the forced GCs and the fit sees steady state, not regrowth.
    const warm = Math.min(60, Math.max(5, Math.round(o.seconds / 10)));
    const w0 = Date.now();
    for (let i = 1; i <= warm; i++) {
      await sleepUntil(w0 + i * 1000);
      tick(i);
    }
    await clients.receipts();
    Object.assign(counts, { moves: 0, edits: 0, relabels: 0 });
    Object.assign(bench.times, { waypoints: 0, workloadApi: 0, proxyless: 0 });

    const samples: Sample[] = [];
    const stepMs: number[] = [];
    const t0 = Date.now();
    const cpu0 = process.cpuUsage();
    let last = { at: t0, cpu: cpu0 };
    const sample = () => {
      const at = Date.now();
      const cpu = process.cpuUsage();
      const used = cpu.user + cpu.system - (last.cpu.user + last.cpu.system);
      const m = process.memoryUsage();
      samples.push({
        t: (at - t0) / 1000,
        cpu: used / 1000 / Math.max(at - last.at, 1),
        rss: m.rss,
        heap: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
      });
      last = { at, cpu };
    };
    const drain = async () => {
      for (const r of await clients.receipts()) {
        counts.pushes++;
        counts.bytes += r.bytes;
      }
    };
    for (let i = 1; i <= o.seconds; i++) {
      await sleepUntil(t0 + i * 1000);
      stepMs.push(tick(i));
      sample();
      if (i % 5 === 0) await drain();
    }
    await sleepUntil(t0 + (o.seconds + 1) * 1000);
    sample();
    await drain();
    const wall = Date.now() - t0;
    const cpuEnd = process.cpuUsage(cpu0);
    const cpuShare = (cpuEnd.user + cpuEnd.system) / 1000 / wall;
    const rssDrift = driftPercent(samples, 'rss');
    const heapDrift = driftPercent(samples, 'heap');
    const heapTotalDrift = driftPercent(samples, 'heapTotal');
    const externalDrift = driftPercent(samples, 'external');
    const mib = (b: number) => (b / 2 ** 20).toFixed(0);
    const first = samples[0];
    const final = samples[samples.length - 1];
    const maxCpu = Math.max(...samples.map((s) => s.cpu));
    const meanStep = stepMs.reduce((a, b) => a + b, 0) / Math.max(stepMs.length, 1);
    const minutes = o.seconds / 60;
    const atSpec = o.services >= 5000 && o.clients >= 500 && o.seconds >= 600;
    const per = (total: number) => (total / Math.max(stepMs.length, 1)).toFixed(1);
    const stages = o.waypointsOnly
      ? 'waypoints only'
      : `waypoints ${per(bench.times.waypoints)} + workload API ${per(bench.times.workloadApi)} + proxyless ${per(bench.times.proxyless)} ms`;
    return [
      {
        workload: `W5 churn (1 pod move/s, 1 route edit/10 s, 1 relabel/min)${o.waypointsOnly ? ', waypoints only' : ''}`,
        size: `${o.services} services, ${o.clients} clients, ${minutes >= 1 ? `${minutes.toFixed(0)} min` : `${o.seconds} s`}`,
        figure:
          `CPU ${(100 * cpuShare).toFixed(1)}% of a core (max ${(100 * maxCpu).toFixed(0)}% in a 1 s sample); ` +
          `RSS ${mib(first?.rss ?? 0)}→${mib(final?.rss ?? 0)} MiB, slope ${rssDrift >= 0 ? '+' : ''}${rssDrift.toFixed(1)}% over the run; ` +
          `${((counts.pushes * 1000) / wall).toFixed(1)} pushes/s, ${((counts.bytes * 1000) / wall / 1024).toFixed(0)} KiB/s; ` +
          `change → published ${meanStep.toFixed(1)} ms mean (${stages})`,
        floor: '—',
        ratio: '—',
        // Set for 5,000 services and 500 clients over 10 minutes: a short run's slope is mostly the
        // heap growing back after the forced GCs, before any compaction round.
        target: atSpec ? 'mean CPU ≤ 25% of a core; RSS flat within 5%' : '(set at 5k services, 500 clients, 10 min)',
        met: atSpec ? cpuShare <= 0.25 && Math.abs(rssDrift) <= 5 : null,
        detail: {
          ...counts,
          wallMs: wall,
          warmupSeconds: warm,
          cpuShare,
          rssDriftPercent: rssDrift,
          heapDriftPercent: heapDrift,
          heapTotalDriftPercent: heapTotalDrift,
          externalDriftPercent: externalDrift,
          meanStepMs: meanStep,
          serveStep: !o.waypointsOnly,
          stageMsPerChange: {
            waypoints: bench.times.waypoints / Math.max(stepMs.length, 1),
            workloadApi: bench.times.workloadApi / Math.max(stepMs.length, 1),
            proxyless: bench.times.proxyless / Math.max(stepMs.length, 1),
          },
          maxStepMs: Math.max(...stepMs, 0),
          samples: samples.map((s) => [s.t, Math.round(s.cpu * 1000) / 1000, s.rss, s.heap, s.heapTotal, s.external]),
        },
      },
    ];
  } finally {
    clients.exit();
    await bench.close();
  }
}
