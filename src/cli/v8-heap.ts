import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';

/**
 * Periodic compaction of V8's old generation, which `serve` runs and the
 * benchmarks run the same way.
 *
 * `serve` lives for weeks with a heap in use that is flat, but each change
 * leaves megabytes of promoted garbage (the re-translated waypoint, copies
 * of the World's tables) in pages that also hold live objects. By default a
 * full GC only evacuates pages that are mostly free, so those holes stay
 * committed: under W5's churn the committed old space grew by ~60 MiB in
 * 10 minutes while the heap in use stayed within 2%. V8's memory reducer,
 * which would compact, waits for a low allocation rate that one change a
 * second never gives it.
 *
 * Compacting on every full GC keeps the committed heap at the used heap, but
 * costs a copy of the whole old generation per full GC, which slows the bulk
 * phases (a cold build, a mesh-wide push) by 10–30%. So it is switched on for
 * the next two full GCs once a minute (the first may have chosen its pages
 * already when the flag is set) and off again. Measured in
 * docs/performance.md (W5).
 */
export const COMPACT_EVERY_MS = 60_000;
/** Full GCs that compact each time compaction is armed. */
const COMPACTING_GCS = 2;

export interface HeapCompaction {
  /** Full GCs still to compact in this round (0: not armed). */
  readonly pending: number;
  /** Rounds armed so far. */
  readonly rounds: number;
  /** Compacts the next full GCs now rather than at the next tick. */
  arm(): void;
  stop(): void;
}

export function startHeapCompaction(everyMs: number = COMPACT_EVERY_MS): HeapCompaction {
  let pending = 0;
  let rounds = 0;
  const set = (on: boolean) => setFlagsFromString(on ? '--compact-on-every-full-gc' : '--no-compact-on-every-full-gc');
  const observer = new PerformanceObserver((list) => {
    if (pending === 0) return;
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      if (--pending === 0) {
        set(false);
        break;
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  const arm = () => {
    if (pending > 0) return;
    pending = COMPACTING_GCS;
    rounds++;
    set(true);
  };
  const timer = setInterval(arm, everyMs);
  timer.unref();
  return {
    get pending() {
      return pending;
    },
    get rounds() {
      return rounds;
    },
    arm,
    stop() {
      clearInterval(timer);
      observer.disconnect();
      if (pending > 0) set(false);
      pending = 0;
    },
  };
}
