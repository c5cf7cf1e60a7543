import type { PreparedResource } from '../envoy';
import { LayeredMap } from './layered-map';

export type ResourceMap = ReadonlyMap<string, PreparedResource>;

/** Names of one type under one key whose content changed or that were removed. */
export interface CacheChange {
  key: string;
  typeUrl: string;
  names: ReadonlySet<string>;
}

export type CacheListener = (changes: readonly CacheChange[]) => void;

const EMPTY: ResourceMap = new Map();

/**
 * Resources by proxy key, then type URL, then name. The cache only stores and
 * diffs; it knows nothing of streams. A map get() returns is never changed
 * afterwards (a change replaces it), so streams may keep it as what they
 * hold. Identical resources (same type, name and content version) are
 * interned, so proxies sharing config share its bytes.
 */
export class SnapshotCache {
  private readonly entries = new Map<string, Map<string, ResourceMap>>();
  private readonly interned = new Map<string, WeakRef<PreparedResource>>();
  private readonly finalizer = new FinalizationRegistry<string>((id) => {
    const ref = this.interned.get(id);
    if (ref && ref.deref() === undefined) this.interned.delete(id);
  });
  private readonly listeners = new Set<CacheListener>();
  /** The last map setShared gave out, per type. */
  private readonly shared = new Map<string, ResourceMap>();

  /**
   * Replaces the resources of the given types under `key`; types not named
   * keep their resources. Notifies listeners of what actually changed.
   * `last`, the lists this key was last set from, lets a list given again
   * (the translation reused it) or changed in place be stored without
   * diffing every name of the type.
   */
  set(
    key: string,
    byType: ReadonlyMap<string, Iterable<PreparedResource>>,
    last?: ReadonlyMap<string, readonly PreparedResource[]>,
  ): CacheChange[] {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = new Map();
      this.entries.set(key, entry);
    }
    const changes: CacheChange[] = [];
    for (const [typeUrl, resources] of byType) {
      const was = last?.get(typeUrl);
      if (was !== undefined && entry.has(typeUrl)) {
        // The list this key was last set from, given again (or in step with it).
        if (was === resources) continue;
        if (Array.isArray(resources) && this.inStep(key, entry, typeUrl, was, resources, changes)) continue;
      }
      const before = entry.get(typeUrl) ?? new Map<string, PreparedResource>();
      const after = new Map<string, PreparedResource>();
      const changed = new Set<string>();
      for (const r of resources) {
        const old = before.get(r.name);
        if (old && old.version === r.version) {
          after.set(r.name, old);
        } else {
          after.set(r.name, this.intern(r));
          changed.add(r.name);
        }
      }
      for (const name of before.keys()) if (!after.has(name)) changed.add(name);
      // Unchanged content keeps its map, so streams that share it stay in sync with it.
      if (changed.size === 0) continue;
      if (after.size > 0) entry.set(typeUrl, after);
      else entry.delete(typeUrl);
      if (changed.size > 0) changes.push({ key, typeUrl, names: changed });
    }
    if (entry.size === 0) this.entries.delete(key);
    this.emit(changes);
    return changes;
  }

  /**
   * set()'s work for one type when the new list has the last one's names at
   * the same places: only the places whose resource changed are looked at
   * and put; false (nothing done) when the names moved.
   */
  private inStep(
    key: string,
    entry: Map<string, ResourceMap>,
    typeUrl: string,
    was: readonly PreparedResource[],
    now: readonly PreparedResource[],
    changes: CacheChange[],
  ): boolean {
    if (was.length !== now.length) return false;
    const put: PreparedResource[] = [];
    for (let i = 0; i < now.length; i++) {
      const a = was[i]!;
      const b = now[i]!;
      if (a === b) continue;
      if (a.name !== b.name) return false;
      if (a.version !== b.version) put.push(b);
    }
    if (put.length === 0) return true;
    const after = new Map(entry.get(typeUrl));
    for (const r of put) after.set(r.name, this.intern(r));
    entry.set(typeUrl, after);
    changes.push({ key, typeUrl, names: new Set(put.map((r) => r.name)) });
    return true;
  }

  /**
   * Gives every key in `keys` the same resources of one type, as one map
   * they share: a view every waypoint gets (the workload API's Workload
   * list) is then diffed once per change, not once per key. A key that did
   * not hold the last shared map is diffed against what it held.
   */
  setShared(keys: Iterable<string>, typeUrl: string, resources: Iterable<PreparedResource>): CacheChange[] {
    const prev = this.shared.get(typeUrl);
    const after = new Map<string, PreparedResource>();
    const changed = new Set<string>();
    for (const r of resources) {
      const old = prev?.get(r.name);
      if (old && old.version === r.version) {
        after.set(r.name, old);
      } else {
        after.set(r.name, this.intern(r));
        changed.add(r.name);
      }
    }
    for (const name of prev?.keys() ?? []) if (!after.has(name)) changed.add(name);
    // Unchanged content keeps its map, so streams that share it stay in sync with it.
    const next = prev && changed.size === 0 ? prev : after;
    this.shared.set(typeUrl, next);
    return this.share(keys, typeUrl, prev, next, changed);
  }

  /**
   * Gives each key the shared map `next`. A key holding `prev` (the shared
   * map before this change) changed by `changed`; any other is diffed.
   */
  private share(
    keys: Iterable<string>,
    typeUrl: string,
    prev: ResourceMap | undefined,
    next: ResourceMap,
    changed: ReadonlySet<string>,
  ): CacheChange[] {
    const changes: CacheChange[] = [];
    // A key that held nothing of this type gains every name: one set for all
    // of them (at a cold start that is every waypoint, each given the whole
    // mesh's Workload list), not a set per key.
    let all: ReadonlySet<string> | undefined;
    for (const key of keys) {
      let entry = this.entries.get(key);
      if (!entry) this.entries.set(key, (entry = new Map()));
      const before = entry.get(typeUrl);
      let names: ReadonlySet<string> = changed;
      if (before === undefined) names = all ??= new Set(next.keys());
      else if (!prev || before !== prev) {
        const own = new Set<string>();
        for (const [name, r] of next) if (before?.get(name)?.version !== r.version) own.add(name);
        for (const name of before?.keys() ?? []) if (!next.has(name)) own.add(name);
        names = own;
      }
      if (next.size > 0) entry.set(typeUrl, next);
      else entry.delete(typeUrl);
      if (entry.size === 0) this.entries.delete(key);
      if (names.size > 0) changes.push({ key, typeUrl, names });
    }
    this.emit(changes);
    return changes;
  }

  /**
   * Puts and drops resources of one type under `key`, leaving the others as
   * they are: a view that knows what changed costs what changed, not what
   * it holds to diff. Resources at the version already held are not changes.
   */
  patch(key: string, typeUrl: string, upserts: Iterable<PreparedResource>, removes: Iterable<string>): CacheChange[] {
    const before = this.entries.get(key)?.get(typeUrl);
    const after = this.patched(before, upserts, removes);
    if (!after) return [];
    let entry = this.entries.get(key);
    if (!entry) this.entries.set(key, (entry = new Map()));
    if (after.map.size > 0) entry.set(typeUrl, after.map);
    else entry.delete(typeUrl);
    if (entry.size === 0) this.entries.delete(key);
    const changes = [{ key, typeUrl, names: after.names }];
    this.emit(changes);
    return changes;
  }

  /**
   * patch() for a map every key in `keys` shares (see setShared): the shared
   * map is patched once, and a key that did not hold it is diffed against it.
   */
  patchShared(
    keys: Iterable<string>,
    typeUrl: string,
    upserts: Iterable<PreparedResource>,
    removes: Iterable<string>,
  ): CacheChange[] {
    const prev = this.shared.get(typeUrl);
    const after = this.patched(prev, upserts, removes);
    const next = after?.map ?? prev ?? new Map<string, PreparedResource>();
    this.shared.set(typeUrl, next);
    return this.share(keys, typeUrl, prev, next, after?.names ?? new Set());
  }

  /**
   * A copy of `m` with upserts and removes applied and the names that
   * changed, or undefined when nothing did. Never changes `m`: a map once
   * given out stays as it was, so a reader may keep it.
   */
  private patched(
    m: ResourceMap | undefined,
    upserts: Iterable<PreparedResource>,
    removes: Iterable<string>,
  ): { map: ResourceMap; names: Set<string> } | undefined {
    const names = new Set<string>();
    const put: PreparedResource[] = [];
    for (const r of upserts) {
      if (m?.get(r.name)?.version === r.version) continue;
      put.push(r);
      names.add(r.name);
    }
    const drop: string[] = [];
    for (const name of removes) {
      if (!m?.has(name) || names.has(name)) continue;
      drop.push(name);
      names.add(name);
    }
    if (names.size === 0) return undefined;
    // Layered, not copied: views patched on every change hold tens of
    // thousands of entries, and a copy each time was most of their garbage.
    const map = LayeredMap.patch<PreparedResource>(
      m,
      put.map((r) => [r.name, this.intern(r)]),
      drop,
    );
    return { map, names };
  }

  /** Removes everything stored under `key`. */
  delete(key: string): CacheChange[] {
    const entry = this.entries.get(key);
    if (!entry) return [];
    this.entries.delete(key);
    const changes = [...entry].map(([typeUrl, m]) => ({ key, typeUrl, names: new Set(m.keys()) }));
    this.emit(changes);
    return changes;
  }

  get(key: string | undefined, typeUrl: string): ResourceMap {
    if (key === undefined) return EMPTY;
    return this.entries.get(key)?.get(typeUrl) ?? EMPTY;
  }

  keys(): string[] {
    return [...this.entries.keys()];
  }

  /** Total encoded bytes under `key` per type (pilot_xds_config_size_bytes). */
  sizeOf(key: string): Map<string, number> {
    const out = new Map<string, number>();
    for (const [typeUrl, m] of this.entries.get(key) ?? []) {
      let n = 0;
      for (const r of m.values()) n += r.size;
      out.set(typeUrl, n);
    }
    return out;
  }

  subscribe(listener: CacheListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(changes: CacheChange[]): void {
    if (changes.length === 0) return;
    for (const l of this.listeners) l(changes);
  }

  private intern(r: PreparedResource): PreparedResource {
    const id = `${r.typeUrl}\u0000${r.name}\u0000${r.version}`;
    const existing = this.interned.get(id)?.deref();
    if (existing) return existing;
    this.interned.set(id, new WeakRef(r));
    this.finalizer.register(r, id);
    return r;
  }
}
