import { cpus } from 'node:os';
import { report, type Row } from './report';
import { w1, w2 } from './translate-bench';
import { transportBench } from './transport-bench';

async function main(): Promise<void> {
  const full = process.argv.includes('--full');
  const sizes = full ? [1000, 5000, 10_000] : [1000];
  const rows: Row[] = [];
  for (const s of sizes) {
    process.stderr.write(`translating a mesh of ${s} services…\n`);
    const { rows: r1, world } = w1(s);
    rows.push(...r1);
    rows.push(...w2(world, s));
  }
  const clientCount = full ? 1000 : 100;
  const transportSize = full ? 10_000 : 1000;
  process.stderr.write(`serving ${clientCount} Delta clients in a separate process…\n`);
  rows.push(...(await transportBench(transportSize, clientCount)));
  report(rows, {
    date: new Date().toISOString(),
    full,
    node: process.version,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
  });
}

void main();
