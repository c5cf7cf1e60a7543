import { cpus } from 'node:os';
import { startHeapCompaction } from '../src/cli/v8-heap';
import { churnBench } from './churn-bench';
import { dirEdit, w8 } from './dir-bench';
import { diffBench } from './diff-bench';
import { reexecWithShippedMalloc } from './malloc-env';
import { report, type Row } from './report';
import { w7 } from './encode-bench';
import { w1, w2 } from './translate-bench';
import { transportBench } from './transport-bench';

/** `--name value` from the command line, if given. */
function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  reexecWithShippedMalloc();
  // The server side runs in this process: it compacts its heap as `serve` does.
  const compaction = process.argv.includes('--no-compaction') ? undefined : startHeapCompaction();
  const full = process.argv.includes('--full');
  // `--only w5` (or `w1,w3`) runs a subset; W1/W2 run together (W7 with them), as do W3/W4/W6.
  const only = flag('--only')?.toLowerCase().split(',');
  const wants = (...ids: string[]) => !only || ids.some((id) => only.includes(id));
  const w5Minutes = Number(flag('--w5-minutes') ?? (full ? 10 : 1 / 3));
  const rows: Row[] = [];
  if (wants('w1', 'w2', 'w7'))
    for (const s of full ? [1000, 5000, 10_000] : [1000]) {
      process.stderr.write(`translating a mesh of ${s} services…\n`);
      const { rows: r1, world } = w1(s);
      rows.push(...r1);
      rows.push(...w2(world, s));
      if (wants('w1', 'w7')) rows.push(...w7(world, s));
    }
  const clientCount = full ? 1000 : 100;
  if (wants('w3', 'w4', 'w6')) {
    process.stderr.write(`serving ${clientCount} Delta clients in a separate process…\n`);
    rows.push(...(await transportBench(full ? 10_000 : 1000, clientCount)));
  }
  if (wants('w5') && w5Minutes > 0) {
    const services = full ? 5000 : 1000;
    const clients = full ? 500 : 100;
    process.stderr.write(`churning ${services} services for ${w5Minutes} min with ${clients} clients…\n`);
    const waypointsOnly = process.argv.includes('--w5-waypoints-only');
    rows.push(...(await churnBench({ services, clients, seconds: Math.round(w5Minutes * 60), waypointsOnly })));
  }
  // W8 and the directory edit spawn `serve` itself; `--services` overrides the mesh size.
  const dirServices = Number(flag('--services') ?? (full ? 10_000 : 1000));
  if (wants('w8')) {
    process.stderr.write(`cold-starting serve on a ${dirServices}-service directory, 5 times…\n`);
    rows.push(...(await w8(dirServices, 5)));
  }
  if (wants('diredit')) {
    process.stderr.write(`editing one line of a namespace file in a ${dirServices}-service directory…\n`);
    rows.push(...(await dirEdit(dirServices, 10, 10)));
  }
  if (wants('diff')) {
    process.stderr.write(`diffing one HTTPRoute edit against a ${dirServices}-service directory…\n`);
    rows.push(...diffBench(dirServices, 5));
  }
  report(rows, {
    date: new Date().toISOString(),
    full,
    argv: process.argv.slice(2),
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
    malloc: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('MALLOC_'))),
    heapCompaction: compaction ? { rounds: compaction.rounds } : 'off',
  });
  compaction?.stop();
}

void main();
