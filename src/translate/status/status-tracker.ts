import type { AmbientIndex } from '../../ambient';
import { get, inNamespace, keyOf, list, parseKey, type KindName, type KubeObject, type World } from '../../model';
import type { TranslateOptions } from '../context';
import { readKeysOf, readKeysOfAll, Reads } from '../reads';
import type { ObjectStatus } from './status';
import { gatewayStatuses, hasOwnStatus, objectStatus, STATUS_KINDS } from './statuses';

/** Kinds whose bindings a Namespace change can move (see updateAmbientIndex). */
const SUBJECT_KINDS = ['Service', 'ServiceEntry', 'Pod', 'WorkloadEntry'] as const;

interface Tracked {
  reads: ReadonlySet<string>;
  status?: ObjectStatus;
}

const statusKey = (s: ObjectStatus) => `${s.kind}/${s.namespace ?? ''}/${s.name}`;
const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Index of `key` in sorted `keys`, or where it would go. */
function position(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((keys[mid] ?? '') < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Keeps every object's status with what computing it read, and on a change
 * recomputes only the statuses of changed objects and of objects that read a
 * changed key, as the incremental translator does for waypoints. A binding
 * is read as its Service's key, so a Namespace change counts as a change to
 * every subject in it. Waypoints changing (a Gateway or GatewayClass edit)
 * recomputes everything. Same output as computeStatuses over the whole World.
 */
export class StatusTracker {
  private readonly tracked = new Map<string, Tracked>();
  /** Read key (or `Kind/ns/*`, `Kind/*`) → objects whose status read it. */
  private readonly readers = new Map<string, Set<string>>();
  private readonly statuses = new Map<string, ObjectStatus>();
  private order: string[] = [];
  private out: ObjectStatus[] = [];
  /**
   * Whether `out` was handed to a reader (current()). A change then copies
   * it before replacing a status in place; otherwise it is changed where it
   * is, so a step nobody reads statuses of costs what changed, not a copy of
   * every status in the mesh.
   */
  private shared = false;
  private waypoints?: AmbientIndex['waypoints'];
  /** The World the statuses are of: what a change's earlier version is read from (readKeysOfAll). */
  private world?: World;

  constructor(private readonly opts: TranslateOptions) {}

  /** apply, then current. */
  update(world: World, index: AmbientIndex, changed: ReadonlySet<string> | 'all'): readonly ObjectStatus[] {
    this.apply(world, index, changed);
    return this.current();
  }

  /** Every status, sorted by key: a list that stays as it is once given out. */
  current(): readonly ObjectStatus[] {
    this.shared = true;
    return this.out;
  }

  /** Brings the statuses up to date with `world` after `changed`. */
  apply(world: World, index: AmbientIndex, changed: ReadonlySet<string> | 'all'): void {
    if (changed === 'all' || index.waypoints !== this.waypoints) return this.rebuild(world, index);
    const dirty = new Set<string>();
    // Statuses read by reference, as waypoints do (they share decisions,
    // route-decision.ts): a change reaches what it referenced before and now.
    const hits = readKeysOfAll(changed, world, this.world);
    this.world = world;
    const own = (key: string) => {
      // A Service's own status reads its binding, which moves with its namespace.
      if (hasOwnStatus(key.slice(0, key.indexOf('/')))) dirty.add(key);
    };
    for (const key of changed) {
      own(key);
      const k = parseKey(key);
      if (k.kind !== 'Namespace') continue;
      for (const kind of SUBJECT_KINDS)
        for (const o of inNamespace(world, kind, k.name)) {
          own(keyOf(o));
          hits.push(...readKeysOf(keyOf(o)));
        }
    }
    for (const w of hits) for (const o of this.readers.get(w) ?? []) dirty.add(o);
    if (dirty.size === 0) return;
    // Most steps replace statuses in place; only new or vanished ones move the order.
    const replaced: ObjectStatus[] = [];
    let moved = false;
    for (const key of dirty) {
      const k = parseKey(key);
      const o = get(world, k.kind as KindName, k.namespace, k.name);
      const before = this.tracked.get(key)?.status;
      this.forget(key);
      const after = o ? this.track(world, index, o) : undefined;
      if (before) this.statuses.delete(statusKey(before));
      if (after) this.statuses.set(statusKey(after), after);
      if (before && after && statusKey(before) === statusKey(after)) {
        replaced.push(after);
        continue;
      }
      if (before) this.order.splice(position(this.order, statusKey(before)), 1);
      if (after) this.order.splice(position(this.order, statusKey(after)), 0, statusKey(after));
      moved ||= Boolean(before ?? after);
    }
    if (moved) this.fresh(this.order.map((k) => this.statuses.get(k) as ObjectStatus));
    else if (replaced.length > 0) {
      if (this.shared) this.fresh(this.out.slice());
      for (const s of replaced) this.out[position(this.order, statusKey(s))] = s;
    }
  }

  private fresh(out: ObjectStatus[]): void {
    this.out = out;
    this.shared = false;
  }

  private rebuild(world: World, index: AmbientIndex): void {
    this.tracked.clear();
    this.readers.clear();
    this.statuses.clear();
    this.waypoints = index.waypoints;
    this.world = world;
    for (const s of gatewayStatuses(index)) this.statuses.set(statusKey(s), s);
    for (const kind of STATUS_KINDS)
      for (const o of list(world, kind) as KubeObject[]) {
        const s = this.track(world, index, o);
        if (s) this.statuses.set(statusKey(s), s);
      }
    this.order = [...this.statuses.keys()].sort(byKey);
    this.fresh(this.order.map((k) => this.statuses.get(k) as ObjectStatus));
  }

  private track(world: World, index: AmbientIndex, o: KubeObject): ObjectStatus | undefined {
    const reads = new Reads(true);
    const key = keyOf(o);
    const status = objectStatus({ world, index, opts: this.opts, reads }, o);
    this.tracked.set(key, { reads: reads.keys, status });
    for (const r of reads.keys) {
      let set = this.readers.get(r);
      if (!set) this.readers.set(r, (set = new Set()));
      set.add(key);
    }
    return status;
  }

  private forget(key: string): void {
    const t = this.tracked.get(key);
    if (!t) return;
    for (const r of t.reads) {
      const set = this.readers.get(r);
      set?.delete(key);
      if (set?.size === 0) this.readers.delete(r);
    }
    this.tracked.delete(key);
  }
}
