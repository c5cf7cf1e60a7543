import { constants, performance, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
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
 * each such GC copies the whole old generation in its final pause, which
 * slowed the bulk phases (a cold 10k build, a mesh-wide push) by 10–30% when
 * it was always on. So it is switched on only after a minute in which the
 * event loop was mostly idle, as it is between changes, for the next two full
 * GCs (the first may have chosen its pages before the flag was set) or 20 s,
 * whichever ends first. Measured in docs/performance.md (W5).
 */
export const COMPACTION_DEFAULTS = {
  /** How often to look at the last period's event-loop utilisation. */
  everyMs: 60_000,
  /** Below this utilisation the process counts as idle enough to compact. */
  idleBelow: 0.5,
  /** An armed round that has not met two full GCs by then is dropped. */
  armedForMs: 20_000,
};
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

export interface CompactionOptions extends Partial<typeof COMPACTION_DEFAULTS> {
  /** Called once if V8 refuses the flag (a Node that freezes V8 flags); compaction then stops. */
  onError?: (err: unknown) => void;
}

export function startHeapCompaction(options: CompactionOptions = {}): HeapCompaction {
  const o = { ...COMPACTION_DEFAULTS, ...options };
  let failed = false;
  let pending = 0;
  let rounds = 0;
  let expiry: NodeJS.Timeout | undefined;
  let on = false;
  const set = (v: boolean) => {
    try {
      setFlagsFromString(v ? '--compact-on-every-full-gc' : '--no-compact-on-every-full-gc');
      on = v;
    } catch (err) {
      if (failed) return;
      failed = true;
      clearInterval(timer);
      o.onError?.(err);
    }
  };
  const observer = new PerformanceObserver((list) => {
    if (pending === 0) return;
    for (const e of list.getEntries()) {
      const kind = (e as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      if (kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      if (--pending === 0) {
        disarm();
        break;
      }
    }
  });
  // GC entries are observed only while a round is armed: every scavenge makes one.
  const disarm = () => {
    clearTimeout(expiry);
    observer.disconnect();
    if (on) set(false);
    pending = 0;
  };
  const arm = () => {
    if (pending > 0 || failed) return;
    set(true);
    if (!on) return;
    pending = COMPACTING_GCS;
    rounds++;
    observer.observe({ entryTypes: ['gc'] });
    expiry = setTimeout(disarm, o.armedForMs);
    expiry.unref();
  };
  let last = performance.eventLoopUtilization();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    const busy = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    if (busy < o.idleBelow) arm();
  }, o.everyMs);
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
      disarm();
    },
  };
}
