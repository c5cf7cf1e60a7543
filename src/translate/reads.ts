import { get, kindOfKey, objectKey, parseKey, type KindName, type KubeObject, type World } from '../model';
import { isMeshRefKind, isRefKind, meshRefsOf, refsOf } from './refs';

/**
 * What one waypoint's translation looked at, so a change re-translates only
 * the waypoints that read it. Queries over a whole namespace record
 * `Kind/ns/*`; over everything, `Kind/*`. A lookup by label that then reads
 * each object it found records `Kind/ns/*members` and those objects' keys: it
 * is reached by a change to one of them, or by an object joining, leaving or
 * being relabelled, but not by a change to another object's content (a pod
 * moving does not touch the services that do not select it). A lookup by
 * reference records `Kind/ns/@ref` (refs.ts: refsOf); one by reference in
 * every namespace at once, as a ServiceEntry by host, the same key with `*`
 * for the namespace (refs.ts: meshRefsOf). Either is reached only by a
 * change to an object that named the reference before or names it now.
 */
export class Reads {
  readonly keys = new Set<string>();
  /**
   * Sets that also take every key recorded while they are open (within):
   * what one served service of a waypoint read, or what a memo's value was
   * computed from, so a later hit can replay it (capture, replay).
   */
  private readonly scopes: Set<string>[] = [];

  /**
   * `byRef`: lookups by reference (`referencing`) record the reference, not
   * the whole namespace. Only for a reader whose changes are worked out by
   * readKeysOfAll with the World it last saw, which names what a changed
   * object referenced before as well as now.
   */
  constructor(readonly byRef = false) {}

  private add(key: string): void {
    this.keys.add(key);
    for (const s of this.scopes) s.add(key);
  }

  object(kind: string, namespace: string | undefined, name: string): void {
    this.add(objectKey(kind, namespace, name));
  }

  namespace(kind: string, namespace: string): void {
    this.add(`${kind}/${namespace}/*`);
  }

  all(kind: string): void {
    this.add(`${kind}/*`);
  }

  /** The objects of `kind` in `namespace` that reference `ref` (refs.ts: refsOf), and only those. */
  referencing(kind: string, namespace: string, ref: string): void {
    if (!this.byRef) return this.namespace(kind, namespace);
    this.add(refKey(kind, namespace, ref));
    // Reached when a change's earlier version is unknown (see readKeysOfAll).
    this.add(refKey(kind, namespace, '*'));
  }

  /**
   * The objects of `kind` in any namespace that reference `ref`
   * (refs.ts: meshRefsOf), and only those. A reader without `byRef` records
   * the whole kind, as such a lookup did before it had a key of its own.
   */
  referencingAnywhere(kind: string, ref: string): void {
    if (!this.byRef) return this.all(kind);
    this.add(refKey(kind, ANY_NAMESPACE, ref));
    // Reached when a change's earlier version is unknown (see readKeysOfAll).
    this.add(refKey(kind, ANY_NAMESPACE, '*'));
  }

  /** Which objects of `kind` are in `namespace`, and their labels (see above). */
  members(kind: string, namespace: string): void {
    this.add(membersKey(kind, namespace));
  }

  /** Runs `fn` with every key it records also added to `into`. */
  within<T>(into: Set<string>, fn: () => T): T {
    this.scopes.push(into);
    try {
      return fn();
    } finally {
      this.scopes.pop();
    }
  }

  /**
   * Runs `fn` with the keys it records added to `into` and to no scope open
   * around it: one served service's reads, apart from the waypoint-wide ones.
   * Memo scopes opened inside `fn` still take them.
   */
  isolated<T>(into: Set<string>, fn: () => T): T {
    const outer = this.scopes.splice(0);
    this.scopes.push(into);
    try {
      return fn();
    } finally {
      this.scopes.splice(0, this.scopes.length, ...outer);
    }
  }

  /** Records `keys` in this reader's keys alone: a reused part's reads, not the waypoint-wide ones. */
  absorb(keys: Iterable<string>): void {
    for (const k of keys) this.keys.add(k);
  }

  /** `fn`'s value and the keys it recorded: what a memo keeps beside its value. */
  capture<T>(fn: () => T): { value: T; keys: ReadonlySet<string> } {
    const keys = new Set<string>();
    return { value: this.within(keys, fn), keys };
  }

  /**
   * Records `keys` again: a memo hit replays what its value was computed
   * from, so each reader that uses the value records it, not only the first.
   */
  replay(keys: Iterable<string>): void {
    for (const k of keys) this.add(k);
  }
}

const membersKey = (kind: string, namespace: string) => `${kind}/${namespace}/*members`;
const refKey = (kind: string, namespace: string, ref: string) => `${kind}/${namespace}/@${ref}`;
/** The namespace part of a mesh-wide reference's key: no namespace is named `*`. */
const ANY_NAMESPACE = '*';

/**
 * The read keys a change to `changedKey` affects: the key itself and the
 * queries that cover it, and its namespace's members unless the change is
 * known to keep the object there with the same labels.
 */
export function readKeysOf(changedKey: string, sameMembers = false): string[] {
  const parts = changedKey.split('/');
  const kind = parts[0] ?? '';
  if (parts.length !== 3) return [changedKey, `${kind}/*`];
  const keys = [changedKey, `${kind}/*`, `${kind}/${parts[1]}/*`];
  if (!sameMembers) keys.push(membersKey(kind, parts[1] ?? ''));
  return keys;
}

const sameLabels = (a: KubeObject, b: KubeObject) => {
  const x = a.metadata.labels ?? {};
  const y = b.metadata.labels ?? {};
  const kx = Object.keys(x);
  return kx.length === Object.keys(y).length && kx.every((k) => x[k] === y[k]);
};

/**
 * The read keys `changed` affects, worked out once per change. With the
 * World the reader last saw, an object that stayed with the same labels
 * does not reach its namespace's members.
 */
export function readKeysOfAll(changed: Iterable<string>, world: World, prev?: World): string[] {
  const out: string[] = [];
  for (const key of changed) {
    if (!prev) {
      // Nothing to compare with: every query that could cover the key (a
      // first load's tens of thousands of keys cost only these strings).
      out.push(...readKeysOf(key));
      const kind = kindOfKey(key);
      if (isRefKind(kind)) out.push(refKey(kind, key.split('/')[1] ?? '', '*'));
      if (isMeshRefKind(kind)) out.push(refKey(kind, ANY_NAMESPACE, '*'));
      continue;
    }
    const k = parseKey(key);
    const kind = k.kind as KindName;
    const after = get(world, kind, k.namespace, k.name) as KubeObject | undefined;
    const before = get(prev, kind, k.namespace, k.name) as KubeObject | undefined;
    const same = before !== undefined && after !== undefined && sameLabels(before, after);
    out.push(...readKeysOf(key, same));
    // What it referenced before and what it references now.
    if (isMeshRefKind(kind)) {
      const hosts = new Set([...((after && meshRefsOf(after)) ?? []), ...((before && meshRefsOf(before)) ?? [])]);
      for (const r of hosts) out.push(refKey(kind, ANY_NAMESPACE, r));
    }
    if (!isRefKind(kind)) continue;
    const refs = new Set([...((after && refsOf(after)) ?? []), ...((before && refsOf(before)) ?? [])]);
    for (const r of refs) out.push(refKey(kind, k.namespace ?? '', r));
  }
  return out;
}

/** A value beside the keys its computation recorded. */
export interface ReadValue<V> {
  value: V;
  keys: ReadonlySet<string>;
}

/**
 * A memo whose hits record what its value read, so every reader that uses a
 * shared value (each served service of a waypoint) records it, not only the
 * first to compute it.
 */
export function memoRead<K, V>(
  memo: { get(key: K): ReadValue<V> | undefined; set(key: K, value: ReadValue<V>): unknown },
  key: K,
  reads: Reads,
  compute: () => V,
): V {
  const hit = memo.get(key);
  if (hit) {
    reads.replay(hit.keys);
    return hit.value;
  }
  const made = reads.capture(compute);
  memo.set(key, made);
  return made.value;
}

/**
 * A value decided from one object of the World and what else of the World
 * it reads, kept as long as that World: every reader of the same World (the
 * object's status, each waypoint that builds from it) gets the very value
 * the first computed, and records what it read (memoRead). Readers that key
 * lookups by reference and those that do not record different keys, so each
 * kind has a table of its own, as has each `variant`: a translation option
 * the value depends on (a domain), as a string. `decide` is a module-level
 * function (test/repo/derived-deps.test.ts checks it) and sees only the
 * World, its read log, the object and the variant.
 */
export class PerWorld<K extends object, V> {
  private readonly tables = new WeakMap<World, Map<string, Map<K, ReadValue<V>>>>();

  constructor(private readonly decide: (from: { world: World; reads: Reads }, key: K, variant: string) => V) {}

  get(ctx: { world: World; reads?: Reads | undefined }, key: K, variant = ''): V {
    // A reader without a log (a whole status pass) computes as a by-reference
    // one, so what it leaves in the table serves the waypoints after it.
    const reads = ctx.reads ?? new Reads(true);
    const world = ctx.world;
    let tables = this.tables.get(world);
    if (!tables) this.tables.set(world, (tables = new Map()));
    const slot = reads.byRef ? variant : `\u0000${variant}`;
    let table = tables.get(slot);
    if (!table) tables.set(slot, (table = new Map()));
    return memoRead(table, key, reads, () => this.decide({ world, reads }, key, variant));
  }
}
