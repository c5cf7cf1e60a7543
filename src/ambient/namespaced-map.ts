/** What callers of the index may do with its bindings: look up, count, iterate in key order. */
export interface KeyedLookup<V> extends Iterable<[string, V]> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  entries(): IterableIterator<[string, V]>;
}

/** The namespace part of a `Kind/ns/name` key; '' for a cluster-scoped `Kind/name`. */
function namespaceOf(key: string): string {
  const a = key.indexOf('/');
  const b = key.indexOf('/', a + 1);
  return b < 0 ? '' : key.slice(a + 1, b);
}

/**
 * An immutable map from object keys, partitioned by namespace, so that an
 * update copies only the namespaces it touches: the ambient index is updated
 * on every change and a copy of every binding in a large mesh costs more
 * than the rest of an incremental step.
 */
export class NamespacedMap<V> implements KeyedLookup<V> {
  private sorted?: string[];

  private constructor(
    private readonly parts: ReadonlyMap<string, ReadonlyMap<string, V>>,
    readonly size: number,
  ) {}

  static from<V>(entries: Iterable<readonly [string, V]>): NamespacedMap<V> {
    const parts = new Map<string, Map<string, V>>();
    let size = 0;
    for (const [key, value] of entries) {
      const ns = namespaceOf(key);
      let part = parts.get(ns);
      if (!part) parts.set(ns, (part = new Map()));
      if (!part.has(key)) size++;
      part.set(key, value);
    }
    return new NamespacedMap(parts, size);
  }

  get(key: string): V | undefined {
    return this.parts.get(namespaceOf(key))?.get(key);
  }

  has(key: string): boolean {
    return this.parts.get(namespaceOf(key))?.has(key) ?? false;
  }

  /** A new map with `updates` applied (undefined deletes); untouched namespaces are shared. */
  with(updates: ReadonlyMap<string, V | undefined>): NamespacedMap<V> {
    if (updates.size === 0) return this;
    const parts = new Map(this.parts);
    const copied = new Set<string>();
    let size = this.size;
    for (const [key, value] of updates) {
      const ns = namespaceOf(key);
      let part = parts.get(ns) as Map<string, V> | undefined;
      if (!copied.has(ns)) {
        part = new Map(part);
        parts.set(ns, part);
        copied.add(ns);
      }
      if (!part) continue;
      const had = part.has(key);
      if (value === undefined) {
        if (had) size--;
        part.delete(key);
      } else {
        if (!had) size++;
        part.set(key, value);
      }
    }
    for (const ns of copied) if (parts.get(ns)?.size === 0) parts.delete(ns);
    return new NamespacedMap(parts, size);
  }

  /** Iteration is in key order, as a map built from sorted keys would give; sorted once, on first use. */
  *entries(): IterableIterator<[string, V]> {
    if (!this.sorted) this.sorted = [...this.parts.values()].flatMap((p) => [...p.keys()]).sort();
    for (const key of this.sorted) yield [key, this.get(key) as V];
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
