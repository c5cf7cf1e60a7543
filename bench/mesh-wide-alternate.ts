// W3 mesh-wide, ours and the floor alternated in one process: each round
// edits the mesh-wide AuthorizationPolicy (every waypoint's main_internal
// changes), waits for every client's listener, then writes the same number
// of bytes to the same number of streams with raw grpc-js. Besides the
// latencies it reports the server's CPU time for each part: the
// re-translation (apply), everything up to the last receipt (translation and
// push), and the raw fan-out. On a shared machine the CPU times and the
// same-round ratio are the figures to read.
//
//   node --expose-gc dist/bench/mesh-wide-alternate.js [rounds=5] [services=1000] [clients=100]
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import * as grpc from '@grpc/grpc-js';
import { rawStreamServer } from './raw-stream';
import { TypeUrl } from '../src/envoy';
import { get } from '../src/model';
import { BenchServer } from './bench-server';
import { benchNodes, Clients } from './client-process';
import { reexecWithShippedMalloc } from './malloc-env';
import { meshWorld } from './translate-bench';

/** CPU time of this process's main thread (Linux), else of the whole process, in ms. */
function cpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  }
}

async function lastReceipt(clients: Clients, count: number, t0: number): Promise<number> {
  const seen = new Map<number, number>();
  const end = Date.now() + 60_000;
  while (seen.size < count && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 5));
    for (const r of await clients.receipts())
      if (r.type === TypeUrl.Listener && !seen.has(r.client)) seen.set(r.client, r.at - t0);
  }
  if (seen.size < count) throw new Error(`only ${seen.size} of ${count} clients got the listener`);
  return Math.max(...seen.values());
}

/** The raw fan-out of `bytes` to `count` streams: ms to the last receipt, and the server's CPU ms. */
async function floor(
  clients: Clients,
  nodes: ReturnType<typeof benchNodes>,
  bytes: number,
): Promise<{ ms: number; cpu: number }> {
  const count = nodes.length;
  const { server, calls } = rawStreamServer();
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? rej(e) : res(p))),
  );
  const ready = clients.wait('raw-ready');
  clients.send('raw', { address: `127.0.0.1:${port}`, nodes });
  await ready;
  while (calls.length < count) await new Promise((r) => setTimeout(r, 10));
  const payload = Buffer.alloc(bytes, 7);
  const done = clients.wait('raw-done');
  const c0 = cpuMs();
  const t0 = Date.now();
  for (const c of calls) c.write(payload);
  const at = Number((await done).at);
  const cpu = cpuMs() - c0;
  server.forceShutdown();
  return { ms: at - t0, cpu };
}

async function main(): Promise<void> {
  reexecWithShippedMalloc();
  const [rounds = 5, services = 1000, count = 100] = process.argv.slice(2).map(Number);
  const bench = new BenchServer(meshWorld(services), { debounce: { quietMs: 1, maxMs: 50 } });
  const port = await bench.listen();
  const clients = new Clients();
  try {
    const synced = clients.wait('synced');
    const nodes = benchNodes(bench.waypoints, count);
    clients.send('start', { address: `127.0.0.1:${port}`, nodes });
    await synced;
    await clients.receipts();
    for (let i = 0; i < rounds; i++) {
      const mw = get(bench.world, 'AuthorizationPolicy', 'istio-system', 'mesh-wide');
      if (!mw) throw new Error('the mesh has no mesh-wide policy');
      const c0 = cpuMs();
      const t0 = Date.now();
      bench.apply([
        {
          op: 'upsert',
          object: {
            ...mw,
            spec: { ...(mw.spec as object), rules: [{ to: [{ operation: { paths: [`/r${i}/*`] } }] }] },
          },
        },
      ]);
      const translateCpu = cpuMs() - c0;
      const ours = await lastReceipt(clients, count, t0);
      const oursCpu = cpuMs() - c0;
      await clients.receipts();
      const bytes = bench.cache.get(bench.waypoints[0] ?? '', TypeUrl.Listener).get('main_internal')?.size ?? 0;
      const raw = await floor(clients, nodes, bytes);
      process.stdout.write(
        JSON.stringify({
          round: i,
          load: loadavg()[0]?.toFixed(1),
          bytes,
          oursMs: ours,
          floorMs: raw.ms,
          ratio: +(ours / raw.ms).toFixed(2),
          translateCpuMs: Math.round(translateCpu),
          oursCpuMs: Math.round(oursCpu),
          floorCpuMs: Math.round(raw.cpu),
        }) + '\n',
      );
    }
  } finally {
    clients.exit();
    await bench.close();
  }
  process.exit(0);
}

void main();
