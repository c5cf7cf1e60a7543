/**
 * An immutable map made of a base map and a small layer of changes on top
 * (a value, or null for a removal). A patch makes a new layer and shares the
 * base, so changing a few entries of a map of 30k costs the layer, not a
 * copy of 30k entries; when the layer grows past a few hundred entries the
 * two are merged into a new base. Neither map is changed once built, so a
 * reader may keep a LayeredMap as a snapshot.
 */
export class LayeredMap<V> implements ReadonlyMap<string, V> {
  readonly size: number;

  private constructor(
    private readonly base: ReadonlyMap<string, V>,
    private readonly layer: ReadonlyMap<string, V | null>,
    size: number,
  ) {
    this.size = size;
  }

  /**
   * `from` with `set` put and `remove` dropped (names in both end up put,
   * as the caller lists them). A plain ReadonlyMap is taken as a base.
   */
  static patch<V>(from: ReadonlyMap<string, V> | undefined, set: Iterable<[string, V]>, remove: Iterable<string>) {
    const base = from instanceof LayeredMap ? (from.base as ReadonlyMap<string, V>) : (from ?? new Map<string, V>());
    const layer = new Map<string, V | null>(from instanceof LayeredMap ? (from.layer as Map<string, V | null>) : []);
    let size = from?.size ?? 0;
    const has = (k: string) => (layer.has(k) ? layer.get(k) !== null : base.has(k));
    for (const name of remove) {
      if (!has(name)) continue;
      layer.set(name, null);
      size--;
    }
    for (const [name, v] of set) {
      if (!has(name)) size++;
      layer.set(name, v);
    }
    // Merged once the layer outgrows about twice the square root of the base:
    // a patch copies the layer and a merge copies the base, and that size
    // keeps both small per patch (~350 entries at 30k). It also bounds how
    // many replaced values the base still holds on to until the merge.
    if (layer.size > Math.max(64, 2 * Math.sqrt(base.size)))
      return new LayeredMap(new Map(new LayeredMap(base, layer, size)), new Map(), size);
    return new LayeredMap(base, layer, size);
  }

  get(name: string): V | undefined {
    const v = this.layer.get(name);
    if (v !== undefined) return v ?? undefined;
    return this.layer.has(name) ? undefined : this.base.get(name);
  }

  has(name: string): boolean {
    const v = this.layer.get(name);
    if (v !== undefined) return v !== null;
    return !this.layer.has(name) && this.base.has(name);
  }

  *entries(): MapIterator<[string, V]> {
    for (const [k, v] of this.base) {
      if (!this.layer.has(k)) yield [k, v];
      else {
        const w = this.layer.get(k);
        if (w !== null && w !== undefined) yield [k, w];
      }
    }
    for (const [k, v] of this.layer) if (v !== null && !this.base.has(k)) yield [k, v];
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, V]> {
    return this.entries();
  }

  forEach(fn: (value: V, key: string, map: ReadonlyMap<string, V>) => void): void {
    for (const [k, v] of this.entries()) fn(v, k, this);
  }
}
