import { cpus, loadavg } from 'node:os';
import { startHeapCompaction } from '../src/server/v8-heap';
import { churnBench } from './churn-bench';
import { coldPath } from './cold-path';
import { dirEdit, w8 } from './dir-bench';
import { diffBench } from './diff-bench';
import { fleetBench } from './fleet-bench';
import { reexecWithShippedMalloc } from './malloc-env';
import { report, type Row } from './report';
import { scaleBench } from './scale-bench';
import { load } from './stats';
import { w7 } from './encode-bench';
import { w1Cold } from './w1-cold';
import { meshWorld, w2 } from './translate-bench';

/** `--name value` from the command line, if given. */
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  reexecWithShippedMalloc();
  // W2 and W7's warm rows run the server side in this process: it compacts its heap as `serve` does.
  const compaction = process.argv.includes('--no-compaction') ? undefined : startHeapCompaction();
  const full = process.argv.includes('--full');
  const scale = process.argv.includes('--scale');
  // `--only w5` (or `w1,w3`) runs a subset; W3, W4 and W6 run together.
  const only = flag('--only')?.toLowerCase().split(',') ?? (scale ? ['scale'] : undefined);
  const wants = (...ids: string[]) => !only || ids.some((id) => only.includes(id));
  const runs = Number(flag('--runs') ?? 5);
  const w5Minutes = Number(flag('--w5-minutes') ?? (full ? 10 : 1 / 3));
  const rows: Row[] = [];
  // Rows that do not record the load themselves get the load at the start of their block.
  let tagged = 0;
  let blockLoad = load();
  const block = () => {
    for (; tagged < rows.length; tagged++) rows[tagged]!.load ??= [blockLoad];
    blockLoad = load();
  };
  // `--sizes 10000` (or `1000,10000`) sets the mesh sizes of W1, W2 and W7.
  const sizes = flag('--sizes')?.split(',').map(Number) ?? (full ? [1000, 5000, 10_000] : [1000]);
  if (wants('w1'))
    for (const s of sizes) {
      process.stderr.write(`W1: serve's first full step at ${s} services, ${runs} fresh processes…\n`);
      rows.push(...w1Cold(s, runs));
    }
  block();
  if (wants('w2', 'w7')) {
    const s = sizes[sizes.length - 1]!;
    process.stderr.write(`W2/W7: ${s} services…\n`);
    // `--istio-kinds`: the mesh also holds DestinationRules, VirtualServices, ServiceEntries and Telemetry.
    const world = meshWorld(s, { istioKinds: process.argv.includes('--istio-kinds') });
    // `--w2-edits N`: each edit N times (default 5), for a steadier median when comparing meshes.
    if (wants('w2')) rows.push(...w2(world, s, Number(flag('--w2-edits') ?? 5)));
    if (wants('w7')) rows.push(...w7(world, s, runs));
  }
  block();
  if (wants('w3', 'w4', 'w6')) {
    const services = Number(flag('--fleet-services') ?? (full ? 10_000 : 1000));
    const [lo, hi] = (flag('--counts') ?? (full ? '500,1000' : '50,100')).split(',').map(Number);
    const counts: [number, number] = [lo!, hi!];
    process.stderr.write(
      `W3/W4/W6: serve on ${services} services, ${counts.join(' and ')} TLS proxies, ${runs} rounds of fresh servers…\n`,
    );
    rows.push(
      ...(await fleetBench({
        services,
        counts,
        rounds: runs,
        settleMs: Number(flag('--settle-ms') ?? (full ? 10_000 : 2000)),
      })),
    );
  }
  block();
  if (wants('w5') && w5Minutes > 0) {
    const services = full ? 5000 : 1000;
    const clients = full ? 500 : 100;
    process.stderr.write(
      `W5: serve on ${services} services, churned for ${w5Minutes.toFixed(2)} min, ${clients} TLS proxies…\n`,
    );
    rows.push(...(await churnBench({ services, clients, seconds: Math.round(w5Minutes * 60) })));
  }
  // W8 and the directory edit spawn `serve` itself; `--services` overrides the mesh size.
  const dirServices = Number(flag('--services') ?? (full ? 10_000 : 1000));
  block();
  if (wants('w8')) {
    process.stderr.write(`cold-starting serve on a ${dirServices}-service directory, ${runs} times…\n`);
    rows.push(...(await w8(dirServices, runs)));
  }
  block();
  if (only?.includes('coldpath')) {
    process.stderr.write(`cold path stages on a ${dirServices}-service directory, ${runs} fresh processes…\n`);
    rows.push(...coldPath(dirServices, runs));
  }
  block();
  if (only?.includes('diredit')) {
    process.stderr.write(`editing one line of a namespace file in a ${dirServices}-service directory…\n`);
    rows.push(...(await dirEdit(dirServices, 10, 10)));
  }
  block();
  if (wants('diff')) {
    process.stderr.write(`diffing one HTTPRoute edit against a ${dirServices}-service directory…\n`);
    rows.push(...diffBench(dirServices, 5));
  }
  block();
  if (only?.includes('scale')) {
    const scaleSizes = (flag('--scale-sizes') ?? '10000,20000,40000').split(',').map(Number);
    process.stderr.write(`scale: ${scaleSizes.join(', ')} services…\n`);
    rows.push(...scaleBench(scaleSizes, Number(flag('--runs') ?? 3)));
  }
  block();
  report(rows, {
    date: new Date().toISOString(),
    full,
    argv: process.argv.slice(2),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    loadavg: loadavg(),
    malloc: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
    heapCompaction: compaction ? { rounds: compaction.rounds } : 'off',
  });
  compaction?.stop();
}

void main();
