import type { ConvergenceSample } from '../xds';

const W = 720;
const H = 220;
const PAD = { left: 48, right: 12, top: 24, bottom: 28 };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A round axis top at or above `max`: 1, 2 or 5 times a power of ten. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

const fmt = (s: number) => (s < 1 ? `${Math.round(s * 1000)} ms` : `${s.toFixed(2)} s`);

/**
 * The convergence times of the window as an SVG plot: one dot per
 * acknowledged push (its tooltip names the proxy), the slowest of each
 * minute joined by a line, time on x (now at the right), seconds on y.
 * Pure: the same samples and `now` give the same markup.
 */
export function convergenceSvg(samples: readonly ConvergenceSample[], now: number, windowMs: number): string {
  const from = now - windowMs;
  const inWindow = samples.filter((s) => s.at >= from && s.at <= now);
  const secs = inWindow.map((s) => s.seconds).sort((a, b) => a - b);
  const top = niceCeiling(secs[secs.length - 1] ?? 0);
  const pw = W - PAD.left - PAD.right;
  const ph = H - PAD.top - PAD.bottom;
  const x = (at: number) => PAD.left + ((at - from) / windowMs) * pw;
  const y = (s: number) => PAD.top + ph - (Math.min(s, top) / top) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="convergence time over the last hour" class="convergence">`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${pw}" height="${ph}" fill="#fafafa" stroke="#ccc"/>`,
  ];
  const title =
    secs.length === 0
      ? 'no configuration acknowledged in this window'
      : `${secs.length} acknowledged push${secs.length === 1 ? '' : 'es'} · p50 ${fmt(quantile(secs, 0.5))} · p99 ${fmt(quantile(secs, 0.99))} · max ${fmt(secs[secs.length - 1]!)}`;
  out.push(`<text x="${PAD.left}" y="16" font-size="12" fill="#333" class="summary">${escapeXml(title)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${yy}" y2="${yy}" stroke="#e4e4e4"/>`);
    out.push(
      `<text x="${PAD.left - 4}" y="${yy}" font-size="10" fill="#666" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(v))}</text>`,
    );
  }
  const minutes = Math.round(windowMs / 60_000);
  for (let i = 0; i <= 4; i++) {
    const at = from + (windowMs * i) / 4;
    const label = i === 4 ? 'now' : `-${Math.round((minutes * (4 - i)) / 4)} min`;
    out.push(
      `<text x="${x(at).toFixed(1)}" y="${H - 8}" font-size="10" fill="#666" text-anchor="middle">${label}</text>`,
    );
  }
  // The slowest of each minute, as a line: where the dots are dense it still reads.
  const perMinute = new Map<number, number>();
  for (const s of inWindow) {
    const m = Math.floor((s.at - from) / 60_000);
    perMinute.set(m, Math.max(perMinute.get(m) ?? 0, s.seconds));
  }
  const pts = [...perMinute.entries()]
    .sort(([a], [b]) => a - b)
    .map(([m, v]) => `${x(from + (m + 0.5) * 60_000).toFixed(1)},${y(v).toFixed(1)}`);
  if (pts.length > 1)
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="#d9822b" stroke-width="1.5" class="max-line"/>`);
  for (const s of inWindow)
    out.push(
      `<circle cx="${x(s.at).toFixed(1)}" cy="${y(s.seconds).toFixed(1)}" r="3" fill="#2b6cb0" fill-opacity="0.7" class="sample"><title>${escapeXml(`${s.proxy}: ${fmt(s.seconds)}`)}</title></circle>`,
    );
  out.push('</svg>');
  return out.join('\n');
}
