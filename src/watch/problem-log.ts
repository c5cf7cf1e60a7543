import type { Logger } from 'pino';

/** At most this many problem lines per report; the rest are counted in one line. */
const MAX_LINES = 20;
/** A problem that goes and comes back within this long is not logged again. */
const REPEAT_MS = 60_000;

/**
 * Logs input problems when they appear, not each time the input is read:
 * the same bad file rescanned on every event (or a file with thousands of bad
 * documents) must not flood the log. Current problems stay visible in
 * `istiod_lite_config_errors` and the debug endpoints.
 */
export class ProblemLog {
  private current = new Set<string>();
  private readonly logged = new Map<string, number>();

  constructor(
    private readonly log: Logger | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  report(problems: readonly string[]): void {
    const t = this.now();
    const next = new Set(problems);
    let shown = 0;
    let hidden = 0;
    for (const p of next) {
      if (this.current.has(p)) continue;
      const last = this.logged.get(p);
      if (last !== undefined && t - last < REPEAT_MS) continue;
      if (shown >= MAX_LINES) {
        hidden++;
        continue;
      }
      shown++;
      this.logged.set(p, t);
      this.log?.warn({ error: p }, 'skipping bad manifest');
    }
    if (hidden > 0) this.log?.warn({ more: hidden, total: next.size }, 'more rejected manifest input not logged');
    let fixed = 0;
    for (const p of this.current) if (!next.has(p)) fixed++;
    if (fixed > 0) this.log?.info({ fixed, remaining: next.size }, 'manifest problems resolved');
    this.current = next;
    for (const [p, at] of this.logged) if (t - at >= REPEAT_MS && !next.has(p)) this.logged.delete(p);
  }
}
