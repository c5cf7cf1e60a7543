import type { CacheChange } from './cache';

export interface DebounceOptions {
  /** Quiet period: flush once no change arrived for this long. */
  quietMs: number;
  /** Upper bound: flush at most this long after the first change of a burst. */
  maxMs: number;
}

export const DEFAULT_DEBOUNCE: DebounceOptions = { quietMs: 100, maxMs: 10_000 };

export type PushBatch = Map<string, { types: Set<string>; since: number }>;

/**
 * Collects cache changes per proxy key and type and hands them over as one
 * batch after the burst settles, so a flurry of edits becomes one push.
 */
export class PushQueue {
  private batch: PushBatch = new Map();
  private quietTimer?: NodeJS.Timeout;
  private maxTimer?: NodeJS.Timeout;
  /** Arrival of the burst's first and latest change. */
  private firstAt?: number;
  private lastAt = -Infinity;
  private closed = false;

  constructor(
    private readonly opts: DebounceOptions,
    private readonly onFlush: (batch: PushBatch) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * `at` is when the configuration change behind these cache changes arrived
   * (default: now). Both windows count from arrivals, so the time spent
   * translating the change is spent inside the quiet period, not added to it.
   */
  add(changes: readonly CacheChange[], at = this.now()): void {
    if (this.closed || changes.length === 0) return;
    for (const c of changes) {
      let e = this.batch.get(c.key);
      if (!e) {
        e = { types: new Set(), since: at };
        this.batch.set(c.key, e);
      }
      e.types.add(c.typeUrl);
    }
    this.firstAt ??= at;
    this.lastAt = Math.max(this.lastAt, at);
    const now = this.now();
    if (this.quietTimer) clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.flush(), Math.max(0, this.lastAt + this.opts.quietMs - now));
    this.maxTimer ??= setTimeout(() => this.flush(), Math.max(0, this.firstAt + this.opts.maxMs - now));
  }

  /** Hands over everything collected now. */
  flush(): void {
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.quietTimer = this.maxTimer = undefined;
    this.firstAt = undefined;
    this.lastAt = -Infinity;
    if (this.batch.size === 0) return;
    const batch = this.batch;
    this.batch = new Map();
    this.onFlush(batch);
  }

  close(): void {
    this.closed = true;
    if (this.quietTimer) clearTimeout(this.quietTimer);
    if (this.maxTimer) clearTimeout(this.maxTimer);
    this.batch.clear();
  }
}
