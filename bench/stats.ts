// Repeated measurements and how they are shown: every workload row gives the
// median, the range it came from and n, and the load the machine was under.
import { loadavg } from 'node:os';

export interface Spread {
  n: number;
  median: number;
  min: number;
  max: number;
}

export function spreadOf(xs: readonly number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const n = s.length;
  const median = n === 0 ? NaN : n % 2 === 1 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
  return { n, median, min: s[0] ?? NaN, max: s[n - 1] ?? NaN };
}

export const median = (xs: readonly number[]) => spreadOf(xs).median;

/** `median 12.3 ms (10.1–15.0, n=5)` */
export function fmtSpread(xs: readonly number[], unit: (n: number) => string): string {
  const s = spreadOf(xs);
  return `median ${unit(s.median)} (${unit(s.min)}–${unit(s.max)}, n=${s.n})`;
}

export const msUnit = (n: number) => (n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(1)} ms`);
export const kibUnit = (n: number) => `${n.toFixed(1)} KiB`;
export const mibUnit = (n: number) => `${n.toFixed(0)} MiB`;

/** The 1-minute load average now, for the row it goes with: this machine is shared. */
export function load(): number {
  return Math.round(loadavg()[0]! * 100) / 100;
}

/** Wall and CPU time of a synchronous call in this process. */
export function timed<T>(fn: () => T): { value: T; wallMs: number; cpuMs: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = fn();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const c = process.cpuUsage(c0);
  return { value, wallMs, cpuMs: (c.user + c.system) / 1000 };
}
