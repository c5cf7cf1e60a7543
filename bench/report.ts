import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Row {
  workload: string;
  size: string;
  figure: string;
  floor: string;
  ratio: string;
  target: string;
  met: boolean | null;
  /** 1-minute load averages while the row was measured: the machine is shared. */
  load?: number[];
  detail?: Record<string, unknown>;
}

function loadCell(l: number[] | undefined): string {
  if (!l || l.length === 0) return '—';
  const lo = Math.min(...l);
  const hi = Math.max(...l);
  return lo === hi ? lo.toFixed(1) : `${lo.toFixed(1)}–${hi.toFixed(1)}`;
}

/** Prints the markdown table and writes the same rows as JSON under bench/results/. */
export function report(rows: Row[], meta: Record<string, unknown>): string {
  const header = ['workload', 'size', 'figure', 'floor', 'ratio', 'target', 'met', 'load'];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const r of rows)
    lines.push(
      `| ${[r.workload, r.size, r.figure, r.floor, r.ratio, r.target, r.met === null ? '—' : r.met ? 'met' : 'missed', loadCell(r.load)].join(' | ')} |`,
    );
  const table = lines.join('\n');
  process.stdout.write(table + '\n');
  const dir = join(__dirname, '..', '..', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ ...meta, rows }, null, 2) + '\n');
  process.stdout.write(`\nwritten to ${file}\n`);
  return table;
}

export const ms = (n: number) => `${n.toFixed(1)} ms`;
export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

export function timeIt<T>(fn: () => T): { value: T; ms: number } {
  const start = process.hrtime.bigint();
  const value = fn();
  return { value, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}
