// W5: steady churn as a user of `serve --config-dir` meets it. The server is
// `node bin/istiod-lite.js serve` in a process of its own with its defaults
// (serve-process.ts: the shipped runtime, no --expose-gc, no forced GC); the
// proxies are Delta clients on TLS connections of their own with their
// waypoint's certificate, in a client process (as fleet-bench.ts); the churn
// is files rewritten in the directory serve reads (churn-files.ts): 1 pod
// move/s, 1 route weight shift/10 s, 1 namespace relabel/min. This process
// only writes files and reads the server from outside: /proc every second
// for CPU and RSS, /metrics for translation time, its log for when each
// change was applied.
import { rmSync } from 'node:fs';
import { makePki } from './certs';
import { ChurnFiles, type ChurnEdit, type ChurnKind } from './churn-files';
import { blockMeans, driftPercent, pushLatencies, quantile } from './churn-stats';
import { benchNodes, Clients, type Receipt } from './client-process';
import { translateSeconds, writeMeshDir } from './dir-bench';
import { fleetTls } from './fleet-bench';
import { nsName } from './mesh';
import { type Row } from './report';
import { procStat, startServeProcess, type ServeProcess } from './serve-process';
import { load, msUnit } from './stats';

export interface ChurnOptions {
  services: number;
  clients: number;
  seconds: number;
}

interface Sample {
  /** Seconds since the measured run began. */
  t: number;
  /** Share of a core in the second before. */
  cpu: number;
  rssMiB: number;
}

interface Made extends ChurnEdit {
  tick: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()));

/**
 * Second i of the schedule: a pod move every second; offsets give a 20 s run
 * two route edits and a relabel. Edits of one second go to different
 * namespaces, so each one's pushes are told apart.
 */
function tick(churn: ChurnFiles, i: number): Made[] {
  const made = [churn.podMove()];
  const used = () => made.map((e) => e.namespace);
  if (i % 10 === 5) made.push(churn.routeEdit(used()));
  if (i % 60 === 15) made.push(churn.relabel(used()));
  return made.map((e) => ({ ...e, tick: i }));
}

/** `median X (p99 Y, n=N)` of the latencies that were measured, and how many were not. */
function latencyCell(xs: readonly (number | undefined)[]): string {
  const got = xs.filter((x): x is number => x !== undefined);
  if (got.length === 0) return `no push (n=${xs.length})`;
  const missing = xs.length - got.length;
  return (
    `median ${msUnit(quantile(got, 0.5))}, p99 ${msUnit(quantile(got, 0.99))} (n=${got.length})` +
    (missing ? `, ${missing} without a push of their own` : '')
  );
}

export async function churnBench(o: ChurnOptions): Promise<Row[]> {
  // Every waypoint the churn reaches has proxies connected, so a serve that
  // translates only waypoints with proxies still translates each change.
  const waypoints = Array.from({ length: Math.ceil(o.services / 100) }, (_, i) => `${nsName(i)}/waypoint`);
  if (o.clients < waypoints.length)
    throw new Error(`W5: ${o.clients} clients cannot cover ${waypoints.length} waypoints`);
  const mesh = writeMeshDir(o.services);
  const pki = makePki();
  const churn = new ChurnFiles(mesh.dir, o.services);
  let s: ServeProcess | undefined;
  let clients: Clients | undefined;
  try {
    const loads = [load()];
    s = await startServeProcess(mesh.dir, pki);
    const pid = s.child.pid!;
    const nodes = benchNodes(waypoints, o.clients);
    const clientWaypoint = nodes.map((n) => `${n.ns}/${n.waypoint}`);
    clients = new Clients();
    const synced = clients.wait('synced', 600_000);
    clients.send('start', { address: `127.0.0.1:${s.xdsTlsPort}`, nodes, tls: fleetTls(pki, nodes) });
    await synced;
    // Let the first-connect traffic drain; the server is left to collect its garbage as it would.
    await sleep(3000);
    await clients.receipts();

    // Warm up under the same churn, excluded from every figure.
    const warm = Math.min(60, Math.max(5, Math.round(o.seconds / 10)));
    const w0 = Date.now();
    for (let i = 1; i <= warm; i++) {
      await sleepUntil(w0 + i * 1000);
      tick(churn, i);
    }
    await sleep(1000);
    await clients.receipts();
    loads.push(load());

    const metrics0 = await translateSeconds(s.debugPort);
    const samples: Sample[] = [];
    const made: Made[] = [];
    const receipts: Receipt[] = [];
    const t0 = Date.now();
    const stat0 = procStat(pid);
    let last = { at: t0, cpuMs: stat0.cpuMs };
    const sample = () => {
      const st = procStat(pid);
      const at = Date.now();
      samples.push({
        t: (at - t0) / 1000,
        cpu: (st.cpuMs - last.cpuMs) / Math.max(at - last.at, 1),
        rssMiB: st.rssMiB,
      });
      last = { at, cpuMs: st.cpuMs };
    };
    // The schedule continues from the warm-up's second, so the mix stays on its offsets.
    for (let i = 1; i <= o.seconds; i++) {
      await sleepUntil(t0 + i * 1000);
      sample();
      made.push(...tick(churn, warm + i));
      if (i % 5 === 0) receipts.push(...(await clients.receipts()));
    }
    await sleepUntil(t0 + (o.seconds + 1) * 1000);
    sample();
    const wall = Date.now() - t0;
    const cpuMs = procStat(pid).cpuMs - stat0.cpuMs;
    // The last change's pushes get a few seconds more to arrive.
    await sleep(2000);
    receipts.push(...(await clients.receipts()));
    const metrics1 = await translateSeconds(s.debugPort);
    loads.push(load());

    const latency = pushLatencies(made, receipts, clientWaypoint, t0 + wall + 2000);
    const byKind = (k: ChurnKind) => latency.filter((_, i) => made[i]!.kind === k);
    const applied = made.map((e) => (s!.updates.find((u) => u >= e.at) ?? NaN) - e.at);
    const translations = metrics1.count - metrics0.count;
    const translateMs = translations > 0 ? ((metrics1.sum - metrics0.sum) / translations) * 1000 : NaN;
    const inRun = receipts.filter((r) => r.at >= t0 && r.at < t0 + wall);
    const bytes = inRun.reduce((n, r) => n + r.bytes, 0);

    const cpuShare = cpuMs / wall;
    const ts = samples.map((x) => x.t);
    const rss = samples.map((x) => x.rssMiB);
    const rssDrift = driftPercent(ts, rss);
    // Two-minute blocks, when the run holds at least three.
    const blocks = o.seconds >= 360 ? blockMeans(ts, rss, 120) : [];
    const maxCpu = Math.max(...samples.map((x) => x.cpu));
    const minutes = o.seconds / 60;
    const atSpec = o.services >= 5000 && o.clients >= 500 && o.seconds >= 600;
    const mib = (n: number) => n.toFixed(0);
    const size = `${o.services} services, ${o.clients} TLS proxies, ${minutes >= 1 ? `${minutes.toFixed(0)} min` : `${o.seconds} s`}`;
    const kinds = { podMove: byKind('podMove'), routeEdit: byKind('routeEdit'), relabel: byKind('relabel') };
    return [
      {
        workload: 'W5 churn (1 pod move/s, 1 route edit/10 s, 1 relabel/min, files rewritten): serve CPU and RSS',
        size,
        figure:
          `CPU ${(100 * cpuShare).toFixed(1)}% of a core (max ${(100 * maxCpu).toFixed(0)}% in a 1 s sample); ` +
          `RSS ${mib(rss[0] ?? NaN)}→${mib(rss[rss.length - 1] ?? NaN)} MiB, slope ${rssDrift >= 0 ? '+' : ''}${rssDrift.toFixed(1)}% over the run` +
          (blocks.length ? ` (2-min means ${blocks.map(mib).join(', ')} MiB)` : '') +
          '; ' +
          `${((inRun.length * 1000) / wall).toFixed(1)} responses/s, ${((bytes * 1000) / wall / 1024).toFixed(0)} KiB/s`,
        floor: '—',
        ratio: '—',
        target: atSpec ? 'mean CPU ≤ 25% of a core; RSS flat within 5%' : '(set at 5k services, 500 clients, 10 min)',
        met: atSpec ? cpuShare <= 0.25 && Math.abs(rssDrift) <= 5 : null,
        load: loads,
        detail: {
          wallMs: wall,
          serverCpuMs: cpuMs,
          warmupSeconds: warm,
          cpuShare,
          rssDriftPercent: rssDrift,
          rssBlockMeansMiB: blocks,
          counts: Object.fromEntries(Object.entries(kinds).map(([k, v]) => [k, v.length])),
          responses: inRun.length,
          bytes,
          readyMs: s.readyMs,
          serverWarnings: s.warnings.slice(0, 5),
          clientErrors: clients.errors,
          // [seconds, share of a core, RSS MiB]
          samples: samples.map((x) => [x.t, Math.round(x.cpu * 1000) / 1000, x.rssMiB]),
        },
      },
      {
        workload: 'W5 push latency: file written → last response of its waypoint’s proxies',
        size,
        figure:
          `pod move ${latencyCell(kinds.podMove)}; route edit ${latencyCell(kinds.routeEdit)}; ` +
          `relabel ${latencyCell(kinds.relabel)}`,
        floor: '—',
        ratio: '—',
        target: '—',
        met: null,
        load: loads,
        detail: {
          latencyMs: made.map((e, i) => ({ kind: e.kind, waypoint: e.waypoint, ms: latency[i] ?? null })),
        },
      },
      {
        workload: 'W5 stages: file written → change applied (serve’s log); translation per applied change (/metrics)',
        size,
        figure:
          `applied median ${msUnit(quantile(applied, 0.5))}, p99 ${msUnit(quantile(applied, 0.99))}; ` +
          `translation ${Number.isFinite(translateMs) ? msUnit(translateMs) : '—'} mean over ${translations} steps`,
        floor: '—',
        ratio: '—',
        target: '—',
        met: null,
        load: loads,
        detail: { appliedMs: applied, translateMsMean: translateMs, translations },
      },
    ];
  } finally {
    clients?.exit();
    await s?.stop();
    rmSync(mesh.dir, { recursive: true, force: true });
    pki.remove();
  }
}
