// What W5 reports from its raw records: the fitted RSS drift, and each
// change's push latency (file written → the last response its waypoint's
// proxies received for it), from the client process's receipt times.

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

/** The fitted change of y over the span of x, as a percentage of y's mean. */
export function driftPercent(xs: readonly number[], ys: readonly number[]): number {
  const mean = ys.reduce((a, b) => a + b, 0) / Math.max(ys.length, 1);
  const span = (xs[xs.length - 1] ?? 0) - (xs[0] ?? 0);
  return mean > 0 ? (100 * slope(xs, ys) * span) / mean : 0;
}

/**
 * Means of y over consecutive blocks of x that are `width` long (a partial
 * last block is dropped): RSS under churn is a sawtooth, and means over whole
 * blocks of a few of its cycles show growth that a fit's phase can hide.
 */
export function blockMeans(xs: readonly number[], ys: readonly number[], width: number): number[] {
  const x0 = xs[0] ?? 0;
  const blocks = Math.floor(((xs[xs.length - 1] ?? x0) - x0) / width);
  const sums = Array.from({ length: blocks }, () => ({ sum: 0, n: 0 }));
  xs.forEach((x, i) => {
    const b = sums[Math.floor((x - x0) / width)];
    if (b) {
      b.sum += ys[i]!;
      b.n++;
    }
  });
  return sums.filter((b) => b.n > 0).map((b) => b.sum / b.n);
}

/** The q-quantile (0..1) by nearest rank; NaN for no values. */
export function quantile(values: readonly number[], q: number): number {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

export interface TimedEdit {
  /** The second of the schedule it was made in: edits of one second share their pushes. */
  tick: number;
  waypoint: string;
  at: number;
}

export interface ClientReceipt {
  client: number;
  at: number;
}

/**
 * For each edit: the last response its waypoint's clients received after it
 * and before that waypoint's next edit in a later second (or `end`), minus
 * the write time; undefined when some client of the waypoint received
 * nothing in that window (no push, or one merged into the next edit's).
 * `clientWaypoint[i]` is client i's waypoint.
 */
export function pushLatencies(
  edits: readonly TimedEdit[],
  receipts: readonly ClientReceipt[],
  clientWaypoint: readonly string[],
  end: number,
): (number | undefined)[] {
  const group = <K, V>(m: Map<K, V[]>, k: K, v: V) => {
    const list = m.get(k);
    if (list) list.push(v);
    else m.set(k, [v]);
  };
  const byWaypoint = new Map<string, number[]>();
  clientWaypoint.forEach((w, i) => group(byWaypoint, w, i));
  const byClient = new Map<number, number[]>();
  for (const r of receipts) group(byClient, r.client, r.at);
  return edits.map((e) => {
    const next = edits.find((o) => o.waypoint === e.waypoint && o.tick > e.tick && o.at >= e.at);
    const until = next?.at ?? end;
    const clients = byWaypoint.get(e.waypoint) ?? [];
    if (clients.length === 0) return undefined;
    let last = -Infinity;
    for (const c of clients) {
      const inWindow = (byClient.get(c) ?? []).filter((t) => t >= e.at && t < until);
      if (inWindow.length === 0) return undefined;
      last = Math.max(last, ...inWindow);
    }
    return last - e.at;
  });
}
