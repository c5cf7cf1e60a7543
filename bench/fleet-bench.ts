// W3, W4 and W6 as deployed: `serve --config-dir` in a process of its own
// (serve-process.ts: the shipped runtime, default 100 ms debounce), each
// proxy a Delta client on its own TLS connection to the TLS xDS port,
// authenticated by its waypoint's client certificate, all in a client
// process of their own (clients.ts). Changes are made where serve reads
// them: a line edited in the manifest file. Each round starts fresh server
// processes, one per client count, so memory per proxy is the slope
// between the two counts and no round inherits another's heap.
import * as grpc from '@grpc/grpc-js';
import { rawStreamServer } from './raw-stream';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TypeUrl } from '../src/envoy';
import { makePki, type BenchPki } from './certs';
import { benchNodes, Clients, type BenchNode } from './client-process';
import type { FleetTls } from './clients';
import { writeMeshDir } from './dir-bench';
import { nsName } from './mesh';
import type { Row } from './report';
import { procStat, startServeProcess, type ServeProcess } from './serve-process';
import { fmtSpread, kibUnit, load, median, msUnit, spreadOf } from './stats';

/** `serve`'s default --debounce-after: the part of change → push that is waiting on purpose. */
export const DEBOUNCE_MS = 100;

export interface FleetOptions {
  services: number;
  /** The two client counts memory per proxy is the slope between; W3 and W6 run at the larger. */
  counts: [number, number];
  rounds: number;
  /** How long the server is left idle after the last client synced before its RSS is read. */
  settleMs: number;
}

interface Round {
  load: number;
  rssMiB: Record<number, number>;
  baseMiB: Record<number, number>;
  firstSyncMs: number;
  firstSyncCpuMs: number;
  firstBytes: number;
  routeMs: number;
  routeApplied: number;
  meshWideMs: number;
  meshWideCpuMs: number;
  ldsBytes: number;
  floorMs: number;
  stormMs: number;
  stormCpuMs: number;
  resentBytes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until every client in `who` received `type` after t0; returns the latest receipt, relative to t0. */
async function lastReceipt(clients: Clients, type: string, who: Set<number>, t0: number, timeoutMs = 120_000) {
  const seen = new Map<number, number>();
  let bytes = 0;
  const end = Date.now() + timeoutMs;
  while (seen.size < who.size) {
    if (Date.now() > end) throw new Error(`only ${seen.size}/${who.size} clients received ${type}`);
    await sleep(20);
    for (const r of await clients.receipts())
      if (r.type === type && who.has(r.client) && r.at >= t0 && !seen.has(r.client)) {
        seen.set(r.client, r.at - t0);
        bytes = Math.max(bytes, r.bytes);
      }
  }
  return { ms: Math.max(...seen.values()), bytes };
}

/** Raw grpc-js over the same TLS: the same bytes written to every client's stream, each on its own connection. */
async function rawFloor(clients: Clients, pki: BenchPki, nodes: BenchNode[], tls: FleetTls, bytes: number) {
  const { server, calls } = rawStreamServer();
  const creds = grpc.ServerCredentials.createSsl(
    readFileSync(pki.caFile),
    [{ cert_chain: readFileSync(pki.serverCert), private_key: readFileSync(pki.serverKey) }],
    true,
  );
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
  );
  try {
    const ready = clients.wait('raw-ready');
    clients.send('raw', { address: `127.0.0.1:${port}`, nodes, tls });
    await ready;
    const end = Date.now() + 120_000;
    while (calls.length < nodes.length && Date.now() < end) await sleep(10);
    const payload = Buffer.alloc(bytes, 7);
    const done = clients.wait('raw-done');
    const t0 = Date.now();
    for (const c of calls) c.write(payload);
    return Number((await done).at) - t0;
  } finally {
    server.forceShutdown();
  }
}

/** Every namespace's waypoint identity, for the client process. */
export function fleetTls(pki: BenchPki, nodes: readonly BenchNode[]): FleetTls {
  const identities: FleetTls['identities'] = {};
  for (const n of nodes) {
    if (identities[n.ns]) continue;
    const c = pki.client(n.ns, n.waypoint);
    identities[n.ns] = { cert: readFileSync(c.cert, 'utf8'), key: readFileSync(c.key, 'utf8') };
  }
  return { ca: readFileSync(pki.caFile, 'utf8'), identities };
}

async function connect(s: ServeProcess, nodes: BenchNode[], tls: FleetTls) {
  const clients = new Clients();
  const cpu0 = procStat(s.child.pid!).cpuMs;
  const t0 = Date.now();
  const synced = clients.wait('synced', 300_000);
  clients.send('start', { address: `127.0.0.1:${s.xdsTlsPort}`, nodes, tls });
  const first = await synced;
  return {
    clients,
    ms: Number(first.at) - t0,
    cpuMs: procStat(s.child.pid!).cpuMs - cpu0,
    bytes: Number(first.bytes),
  };
}

/** RSS after the server sat idle for settleMs (no gc() call: the shipped server makes none). */
async function settledRss(pid: number, settleMs: number): Promise<number> {
  await sleep(settleMs);
  return procStat(pid).rssMiB;
}

async function round(
  opts: FleetOptions,
  dir: string,
  pki: BenchPki,
  waypoints: string[],
  edit: { route: number; policy: number },
): Promise<Round> {
  const [low, high] = opts.counts;
  const r: Partial<Round> = { load: load(), rssMiB: {}, baseMiB: {} };
  for (const count of [low, high]) {
    const s = await startServeProcess(dir, pki);
    let clients: Clients | undefined;
    try {
      const pid = s.child.pid!;
      r.baseMiB![count] = await settledRss(pid, opts.settleMs);
      const nodes = benchNodes(waypoints, count);
      const tls = fleetTls(pki, nodes);
      const c = await connect(s, nodes, tls);
      clients = c.clients;
      r.rssMiB![count] = await settledRss(pid, opts.settleMs);
      if (count !== high) continue;
      r.firstSyncMs = c.ms;
      r.firstSyncCpuMs = c.cpuMs;
      r.firstBytes = c.bytes;
      await clients.receipts();

      // W3: one route's weight changed in its namespace's file; its waypoint's clients get RDS.
      const ns = nsName(0);
      const nsFile = join(dir, 'namespaces', `${ns}.yaml`);
      const text = readFileSync(nsFile, 'utf8');
      const w = 89 - (edit.route++ % 40);
      const changed = text.replace(/weight: \d+\n/, `weight: ${w}\n`);
      if (changed === text) throw new Error('fleet: no route weight to edit');
      const behind = new Set(nodes.flatMap((n, i) => (n.ns === ns ? [i] : [])));
      let t0 = Date.now();
      writeFileSync(nsFile, changed);
      r.routeMs = (await lastReceipt(clients, TypeUrl.Route, behind, t0)).ms;
      r.routeApplied = (s.updates.find((u) => u >= t0) ?? NaN) - t0;
      await sleep(300);

      // W3 mesh-wide: the root namespace's policy changes; every client gets LDS.
      const rootFile = join(dir, 'namespaces', 'istio-system.yaml');
      const root = readFileSync(rootFile, 'utf8');
      const next = root.replace(/\/debug[^\n]*\*/, `/debug${edit.policy++}/*`);
      if (next === root) throw new Error('fleet: no mesh-wide policy path to edit');
      await clients.receipts();
      let cpu0 = procStat(pid).cpuMs;
      t0 = Date.now();
      writeFileSync(rootFile, next);
      const all = new Set(nodes.map((_, i) => i));
      const mw = await lastReceipt(clients, TypeUrl.Listener, all, t0);
      r.meshWideMs = mw.ms;
      r.meshWideCpuMs = procStat(pid).cpuMs - cpu0;
      r.ldsBytes = mw.bytes;
      await sleep(500);
      await clients.receipts();
      r.floorMs = await rawFloor(clients, pki, nodes, tls, mw.bytes);

      // W6: every client closes its connection and dials again, holding its versions.
      await sleep(500);
      await clients.receipts();
      cpu0 = procStat(pid).cpuMs;
      const storm = clients.wait('synced', 300_000);
      t0 = Date.now();
      clients.send('redial', { address: `127.0.0.1:${s.xdsTlsPort}`, nodes });
      const again = await storm;
      r.stormMs = Number(again.at) - t0;
      r.stormCpuMs = procStat(pid).cpuMs - cpu0;
      r.resentBytes = Number(again.bytes);
    } finally {
      clients?.exit();
      await s.stop();
    }
  }
  return r as Round;
}

export async function fleetBench(opts: FleetOptions): Promise<Row[]> {
  const mesh = writeMeshDir(opts.services);
  const pki = makePki();
  const waypoints = Array.from({ length: Math.ceil(opts.services / 100) }, (_, i) => `${nsName(i)}/waypoint`);
  const rounds: Round[] = [];
  const edit = { route: 0, policy: 0 };
  try {
    for (let i = 0; i < opts.rounds; i++) {
      process.stderr.write(`  fleet round ${i + 1}/${opts.rounds}…\n`);
      rounds.push(await round(opts, mesh.dir, pki, waypoints, edit));
    }
  } finally {
    rmSync(mesh.dir, { recursive: true, force: true });
    pki.remove();
  }
  const [low, high] = opts.counts;
  const loads = rounds.map((r) => r.load);
  const slopes = rounds.map((r) => ((r.rssMiB[high]! - r.rssMiB[low]!) * 1024) / (high - low));
  const perProxy = rounds.map((r) => ((r.rssMiB[high]! - r.baseMiB[high]!) * 1024) / high);
  const past = rounds.map((r) => r.routeMs - DEBOUNCE_MS);
  const mwPast = rounds.map((r) => r.meshWideMs - DEBOUNCE_MS);
  const ratios = rounds.map((r) => (r.meshWideMs - DEBOUNCE_MS) / r.floorMs);
  const x = (n: number) => `${n.toFixed(2)}×`;
  const at1k = high >= 1000;
  const size = `${opts.services} services, ${high} proxies (own TLS connection each)`;
  const clientsPer = Math.ceil(high / waypoints.length);
  const first = spreadOf(rounds.map((r) => r.firstBytes)).median;
  return [
    {
      workload: 'W3 route change (file edit) → last proxy of its waypoint, past the 100 ms debounce',
      size: `${size}, ${clientsPer} behind the waypoint`,
      figure: `${fmtSpread(past, msUnit)}; change applied after ${fmtSpread(
        rounds.map((r) => r.routeApplied),
        msUnit,
      )}`,
      floor: '—',
      ratio: '—',
      target: '≤ 50 ms past the debounce',
      met: median(past) <= 50,
      load: loads,
      detail: { routeMs: rounds.map((r) => r.routeMs), appliedMs: rounds.map((r) => r.routeApplied) },
    },
    {
      workload: 'W3 mesh-wide policy (file edit) → every proxy, past the debounce',
      size: `${size}, LDS ${(spreadOf(rounds.map((r) => r.ldsBytes)).median / 1024).toFixed(0)} KiB each`,
      figure: `${fmtSpread(mwPast, msUnit)}; server CPU ${fmtSpread(
        rounds.map((r) => r.meshWideCpuMs),
        msUnit,
      )}`,
      floor: `${fmtSpread(
        rounds.map((r) => r.floorMs),
        msUnit,
      )} (raw grpc-js, same bytes, same TLS connections)`,
      ratio: `${x(median(ratios))} (${x(Math.min(...ratios))}–${x(Math.max(...ratios))})`,
      target: at1k ? '≤ 1.5× floor' : '(set at 1,000 proxies)',
      met: at1k ? median(ratios) <= 1.5 : null,
      load: loads,
      detail: { meshWideMs: rounds.map((r) => r.meshWideMs), floorMs: rounds.map((r) => r.floorMs) },
    },
    {
      workload: `W4 memory per proxy: RSS slope ${low} → ${high} TLS connections`,
      size: `${opts.services} services, fresh server per count, RSS ${opts.settleMs / 1000} s after the last sync`,
      figure: fmtSpread(slopes, kibUnit),
      floor: '—',
      ratio: '—',
      // Below a few hundred clients the slope is lost in RSS noise (the heap's garbage of the first sync).
      target: high - low >= 500 ? '≤ 64 KiB' : '(set at 500 → 1,000)',
      met: high - low >= 500 ? median(slopes) <= 64 : null,
      load: loads,
      detail: {
        rssMiB: rounds.map((r) => r.rssMiB),
        beforeClientsMiB: rounds.map((r) => r.baseMiB),
        perProxyOverIdleServerKiB: perProxy,
      },
    },
    {
      workload: 'W6 every proxy closes its TLS connection and re-dials, holding versions',
      size,
      figure: `all synced ${fmtSpread(
        rounds.map((r) => r.stormMs),
        msUnit,
      )}; server CPU ${fmtSpread(
        rounds.map((r) => r.stormCpuMs),
        msUnit,
      )}; re-sent ${(spreadOf(rounds.map((r) => r.resentBytes)).median / 1024).toFixed(0)} KiB of ${(first / 1024).toFixed(0)} KiB`,
      floor: `first connect ${fmtSpread(
        rounds.map((r) => r.firstSyncMs),
        msUnit,
      )}`,
      ratio: x(median(rounds.map((r) => r.stormMs / r.firstSyncMs))),
      target: at1k ? '≤ 3 s; re-send ≤ 5%' : '(set at 1,000 proxies)',
      met: at1k
        ? median(rounds.map((r) => r.stormMs)) <= 3000 && median(rounds.map((r) => r.resentBytes)) <= 0.05 * first
        : null,
      load: loads,
      detail: { rounds },
    },
  ];
}
