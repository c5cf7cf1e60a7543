import { applyChanges, EMPTY_WORLD, type Change, type World } from '../model';
import type { ConfigSource } from './source';

export type WorldListener = (world: World, changed: ReadonlySet<string>) => void;

/**
 * Holds the current World. Changes arriving in one burst (the same tick, or
 * within `coalesceMs`) are applied together: one new World, one notification
 * carrying the union of changed keys.
 */
export class ConfigStore {
  private current: World = EMPTY_WORLD;
  private pending: Change[] = [];
  private timer?: NodeJS.Timeout | 'immediate';
  private readonly listeners: WorldListener[] = [];
  /** While held: the keys changed since hold(), told to listeners at release(). */
  private held?: Set<string>;
  /** When the latest change of the pending batch arrived. */
  private pendingArrivedAt = 0;
  private notifying?: number;

  constructor(
    private readonly coalesceMs = 0,
    private readonly now: () => number = Date.now,
  ) {}

  get world(): World {
    return this.current;
  }

  /**
   * While listeners run for a batch: when its latest change arrived here.
   * The push debounce counts its quiet period from this moment, as istiod's
   * counts from the config event's arrival (pilot/pkg/xds/discovery.go:
   * debounce, lastConfigUpdateTime), so the translation runs inside the
   * quiet period rather than before it. Undefined outside a notification.
   */
  get arrivedAt(): number | undefined {
    return this.notifying;
  }

  attach(source: ConfigSource): void {
    source.onChanges((changes, arrivedAt) => this.enqueue(changes, arrivedAt));
  }

  subscribe(l: WorldListener): void {
    this.listeners.push(l);
  }

  /** `arrivedAt`: when the event behind the changes happened, if earlier than now (ChangeListener). */
  enqueue(changes: readonly Change[], arrivedAt?: number): void {
    const at = Math.min(arrivedAt ?? Infinity, this.now());
    this.pendingArrivedAt = this.pending.length === 0 ? at : Math.max(this.pendingArrivedAt, at);
    this.pending.push(...changes);
    if (this.timer) return;
    if (this.coalesceMs <= 0) {
      this.timer = 'immediate';
      setImmediate(() => this.flush());
    } else {
      this.timer = setTimeout(() => this.flush(), this.coalesceMs);
    }
  }

  /** Applies everything queued now. */
  flush(): void {
    if (this.timer && this.timer !== 'immediate') clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    const { world, changed } = applyChanges(this.current, batch);
    this.current = world;
    if (changed.size === 0) return;
    if (this.held) {
      for (const k of changed) this.held.add(k);
      return;
    }
    this.notifying = this.pendingArrivedAt;
    try {
      for (const l of this.listeners) l(world, changed);
    } finally {
      this.notifying = undefined;
    }
  }

  /**
   * Until release(), changes are applied but listeners are not told. At
   * start, what the first World needs fetched (remote JWKS, CA bundles) is
   * then translated with it, in one step, instead of every waypoint that
   * reads it being translated twice before anyone can connect.
   */
  hold(): void {
    this.held ??= new Set();
  }

  /** Ends hold(): listeners get one notification with every key changed meanwhile. */
  release(): void {
    const changed = this.held;
    this.held = undefined;
    if (!changed || changed.size === 0) return;
    for (const l of this.listeners) l(this.current, changed);
  }
}
