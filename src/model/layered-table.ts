// A World table that shares its predecessor's entries. Copying a kind's whole
// Map for every change made a change cost the size of its kind (1.3 ms for
// 10,000 EndpointSlices, more for 50,000 Pods); a layered table keeps the
// predecessor's Map as its base and holds only what changed since, flattened
// back into a plain Map once that grows past about twice the square root of
// the base (a change then costs O(√n) amortised). It reads as the Map a copy
// would have been, in the same iteration order: an updated key keeps its
// place, a new key goes last, a deleted and re-added key goes last.

const GONE: unique symbol = Symbol('gone');
type Slot<T> = T | typeof GONE;

function flattenLimit(baseSize: number): number {
  return Math.max(64, 2 * Math.ceil(Math.sqrt(baseSize)));
}

/** `key` in `top` over `base`. */
function read<T>(base: ReadonlyMap<string, T>, top: ReadonlyMap<string, Slot<T>>, key: string): T | undefined {
  const v = top.get(key);
  if (v === undefined) return base.get(key);
  return v === GONE ? undefined : v;
}

/** A read-only table: `base` (never modified) with `top` over it. */
export class LayeredTable<T> implements ReadonlyMap<string, T> {
  constructor(
    private readonly base: ReadonlyMap<string, T>,
    private readonly top: ReadonlyMap<string, Slot<T>>,
    /** Keys of `base` deleted and put back: listed after the base's keys, in `top`'s order. */
    private readonly readded: ReadonlySet<string>,
    readonly size: number,
  ) {}

  get(key: string): T | undefined {
    return read(this.base, this.top, key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  *entries(): MapIterator<[string, T]> {
    const { base, top, readded } = this;
    for (const [k, v] of base) {
      const t = top.get(k);
      if (t === undefined) yield [k, v];
      else if (t !== GONE && !readded.has(k)) yield [k, t];
    }
    for (const [k, t] of top) {
      if (t === GONE || (base.has(k) && !readded.has(k))) continue;
      yield [k, t];
    }
  }

  *keys(): MapIterator<string> {
    for (const [k] of this.entries()) yield k;
  }

  *values(): MapIterator<T> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): MapIterator<[string, T]> {
    return this.entries();
  }

  forEach(cb: (value: T, key: string, map: ReadonlyMap<string, T>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) cb.call(thisArg, v, k, this);
  }

  /** What a draft starts from. */
  layers(): { base: ReadonlyMap<string, T>; top: ReadonlyMap<string, Slot<T>>; readded: ReadonlySet<string> } {
    return { base: this.base, top: this.top, readded: this.readded };
  }
}

/**
 * The next version of a table while one batch of changes is applied: writes
 * go to a copy of the top layer only. `finish` gives the table to publish.
 */
export class TableDraft<T> {
  private readonly base: ReadonlyMap<string, T>;
  private readonly top: Map<string, Slot<T>>;
  private readonly readded: Set<string>;
  private size: number;

  constructor(from?: ReadonlyMap<string, T>) {
    if (from instanceof LayeredTable) {
      const l = (from as LayeredTable<T>).layers();
      this.base = l.base;
      this.top = new Map(l.top);
      this.readded = new Set(l.readded);
    } else {
      this.base = from ?? new Map();
      this.top = new Map();
      this.readded = new Set();
    }
    this.size = from?.size ?? 0;
  }

  get(key: string): T | undefined {
    return read(this.base, this.top, key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: T): void {
    const t = this.top.get(key);
    if (t === GONE) {
      // Deleted earlier: back at the end, as Map.delete then Map.set would put it.
      this.top.delete(key);
      if (this.base.has(key)) this.readded.add(key);
      this.size++;
    } else if (t === undefined && !this.base.has(key)) this.size++;
    this.top.set(key, value);
  }

  delete(key: string): void {
    const t = this.top.get(key);
    if (t === GONE) return;
    if (this.base.has(key)) {
      this.top.set(key, GONE);
      this.readded.delete(key);
      this.size--;
    } else if (t !== undefined) {
      this.top.delete(key);
      this.size--;
    }
  }

  finish(): ReadonlyMap<string, T> {
    // Over nothing, the top layer is the table, in order (a first load: one batch of every object).
    if (this.base.size === 0) return this.top as Map<string, T>;
    const layered = new LayeredTable<T>(this.base, this.top, this.readded, this.size);
    if (this.top.size <= flattenLimit(this.base.size)) return layered;
    return new Map(layered.entries());
  }
}
