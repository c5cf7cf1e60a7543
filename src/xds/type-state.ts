import { PreparedResource, WILDCARD_TYPES } from '../envoy';
import type { ClaimedVersions } from './claimed-versions';

/**
 * What we believe the client holds for one resource name: the resource as
 * sent, or only its version when that is all we know (Delta reconnect). The
 * resource itself is stored, not a wrapper around it: every stream holds one
 * of these per resource, so a wrapper object each would add up.
 */
export type Held = PreparedResource | { readonly version: string };

const NOTHING: ReadonlyMap<string, PreparedResource> = new Map();

/**
 * What a stream holds of one type, by name. A stream in sync holds exactly
 * the cache's current map for its key, as every other stream of that key
 * does: it then points at that map instead of keeping a copy, and makes its
 * own copy only when what it holds differs (copy on write).
 */
export class HeldMap implements ReadonlyMap<string, Held> {
  private own?: Map<string, Held>;
  /** Held exactly, while `own` is unset. Never written to: it is the cache's. */
  private shared: ReadonlyMap<string, PreparedResource> = NOTHING;

  /** Whether this points at a map it shares rather than keeping its own. */
  get isShared(): boolean {
    return this.own === undefined && this.shared !== NOTHING;
  }

  get size(): number {
    return (this.own ?? this.shared).size;
  }

  get(name: string): Held | undefined {
    return (this.own ?? this.shared).get(name);
  }

  has(name: string): boolean {
    return (this.own ?? this.shared).has(name);
  }

  keys(): MapIterator<string> {
    return (this.own ?? this.shared).keys();
  }

  values(): MapIterator<Held> {
    return (this.own ?? this.shared).values();
  }

  entries(): MapIterator<[string, Held]> {
    return (this.own ?? this.shared).entries();
  }

  [Symbol.iterator](): MapIterator<[string, Held]> {
    return this.entries();
  }

  forEach(fn: (value: Held, key: string, map: ReadonlyMap<string, Held>) => void): void {
    for (const [k, v] of this) fn(v, k, this);
  }

  set(name: string, held: Held): void {
    if (!this.own && this.shared.get(name) === held) return;
    this.writable().set(name, held);
  }

  delete(name: string): boolean {
    if (!this.own && !this.shared.has(name)) return false;
    return this.writable().delete(name);
  }

  clear(): void {
    this.own = undefined;
    this.shared = NOTHING;
  }

  /**
   * A reconnecting client's claimed versions (Delta `initial_resource_versions`),
   * on a stream that holds nothing yet. A fleet re-dialling after a control
   * plane restart or a network blip claims exactly the cache's current map,
   * so that case shares it at once instead of building a per-stream copy
   * only for the first response to find it level again. Returns false, having
   * done nothing, when the claim is anything else.
   */
  claimCurrent(claimed: ClaimedVersions, current: ReadonlyMap<string, PreparedResource>): boolean {
    if (this.own !== undefined || this.shared !== NOTHING || current.size === 0) return false;
    if (!claimed.isExactly(current)) return false;
    this.shared = current;
    return true;
  }

  /**
   * Records that the client now also holds `sent` and no longer holds
   * `removed`. When that leaves it holding exactly `current`, the stream
   * shares `current` (and drops any copy of its own) rather than copying.
   */
  update(
    sent: readonly PreparedResource[],
    removed: readonly string[],
    current: ReadonlyMap<string, PreparedResource>,
  ): void {
    if (this.wouldEqual(sent, removed, current)) {
      this.own = undefined;
      this.shared = current.size > 0 ? current : NOTHING;
      return;
    }
    for (const r of sent) this.set(r.name, r);
    for (const n of removed) this.delete(n);
  }

  /** Whether holding this plus `sent`, minus `removed`, is holding exactly `current`. */
  private wouldEqual(
    sent: readonly PreparedResource[],
    removed: readonly string[],
    current: ReadonlyMap<string, PreparedResource>,
  ): boolean {
    const now = this.own ?? this.shared;
    if (now === current && sent.length === 0 && removed.length === 0) return true;
    // Every current resource must be what the client will hold...
    const after = new Map<string, PreparedResource>();
    for (const r of sent) after.set(r.name, r);
    const gone = new Set(removed);
    // (A name both sent and removed ends up removed, as update() applies removals last.)
    for (const [name, r] of current) {
      const h = gone.has(name) ? undefined : (after.get(name) ?? now.get(name));
      if (h !== r) return false;
    }
    // ...and it must hold nothing else.
    let size = now.size;
    for (const name of after.keys()) if (!now.has(name) && !gone.has(name)) size++;
    for (const name of gone) if (now.has(name)) size--;
    return size === current.size;
  }

  private writable(): Map<string, Held> {
    this.own ??= new Map(this.shared);
    this.shared = NOTHING;
    return this.own;
  }
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * The names a stream subscribes to for one type. Streams of one waypoint ask
 * for the same names, so an equal set another stream keeps is shared (see
 * NamePool) and copied only when this stream's subscription changes.
 */
export class NameSet implements ReadonlySet<string> {
  private own?: Set<string>;
  private shared: ReadonlySet<string> = NO_NAMES;

  /** Whether this points at a set it shares rather than keeping its own. */
  get isShared(): boolean {
    return this.own === undefined && this.shared !== NO_NAMES;
  }

  get size(): number {
    return (this.own ?? this.shared).size;
  }

  has(name: string): boolean {
    return (this.own ?? this.shared).has(name);
  }

  values(): SetIterator<string> {
    return (this.own ?? this.shared).values();
  }

  keys(): SetIterator<string> {
    return this.values();
  }

  entries(): SetIterator<[string, string]> {
    return (this.own ?? this.shared).entries();
  }

  [Symbol.iterator](): SetIterator<string> {
    return this.values();
  }

  forEach(fn: (value: string, key: string, set: ReadonlySet<string>) => void): void {
    for (const n of this) fn(n, n, this);
  }

  add(name: string): void {
    if (!this.has(name)) this.writable().add(name);
  }

  delete(name: string): boolean {
    return this.has(name) && this.writable().delete(name);
  }

  clear(): void {
    this.own = undefined;
    this.shared = NO_NAMES;
  }

  /** Whether this holds exactly the names in `other`. */
  sameAs(other: ReadonlySet<string>): boolean {
    if ((this.own ?? this.shared) === other) return true;
    if (this.size !== other.size) return false;
    for (const n of other) if (!this.has(n)) return false;
    return true;
  }

  /** Shares `names` (which holds the same names and is never written to) from now on. */
  share(names: ReadonlySet<string>): void {
    this.own = undefined;
    this.shared = names.size > 0 ? names : NO_NAMES;
  }

  /** The set this holds, no longer written to: later changes copy it first. */
  freeze(): ReadonlySet<string> {
    if (this.own) this.share(this.own);
    return this.shared;
  }

  private writable(): Set<string> {
    this.own ??= new Set(this.shared);
    this.shared = NO_NAMES;
    return this.own;
  }
}

/**
 * The subscription last seen per proxy key and type, so the next stream of
 * that key asking for the same names shares it. Held weakly: a set no stream
 * keeps is not kept here.
 */
export class NamePool {
  private readonly last = new Map<string, WeakRef<ReadonlySet<string>>>();

  /** Makes `names` share an equal set of `key`'s, or offers it to the next stream of `key`. */
  intern(key: string, typeUrl: string, names: NameSet): void {
    if (names.size === 0 || names.isShared) return;
    const id = `${key}\u0000${typeUrl}`;
    const known = this.last.get(id)?.deref();
    if (known && names.sameAs(known)) names.share(known);
    else this.last.set(id, new WeakRef(names.freeze()));
  }
}

/** The resource behind a Held entry, if it was sent on this stream. */
export function heldResource(h: Held): PreparedResource | undefined {
  return h instanceof PreparedResource ? h : undefined;
}

export interface NackRecord {
  nonce: string;
  message: string;
  code: number;
  names: string[];
  at: Date;
}

export type SyncStatus = 'SYNCED' | 'NOT_SENT' | 'STALE' | 'ERROR';

/**
 * Protocol state of one type on one stream: the subscription, what was sent
 * and acknowledged, the last rejection. syncz and CSDS report exactly this.
 */
export class TypeState {
  wildcard = false;
  readonly names = new NameSet();
  /** The client has named resources explicitly at least once (ends legacy wildcard). */
  everNamed = false;
  /** A stale request added names; answer them with the next current request. */
  subscriptionGrew = false;
  /** A request of this type has been seen on this stream. */
  requested = false;
  readonly held = new HeldMap();
  nonceSent = '';
  nonceAcked = '';
  versionSent = '';
  versionAcked = '';
  lastSentAt?: Date;
  /** Names carried by the last response, for NACK reports. */
  namesSent: string[] = [];
  error?: NackRecord;

  constructor(readonly typeUrl: string) {}

  get wildcardCapable(): boolean {
    return WILDCARD_TYPES.has(this.typeUrl);
  }

  /** Whether `name` is in this subscription. */
  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  status(): SyncStatus {
    if (this.error) return 'ERROR';
    if (this.nonceSent === '') return 'NOT_SENT';
    return this.nonceAcked === this.nonceSent ? 'SYNCED' : 'STALE';
  }

  /**
   * `name` as a string we already keep (the cache's resource name), so that
   * names decoded from each stream's requests are not kept once per stream.
   */
  static canonical(name: string, current: ReadonlyMap<string, PreparedResource>): string {
    return current.get(name)?.name ?? name;
  }

  /** Names the client holds at a different version than `current`, among those in scope. */
  outdated(current: ReadonlyMap<string, PreparedResource>): PreparedResource[] {
    const out: PreparedResource[] = [];
    const consider = this.wildcard ? current.keys() : this.names.values();
    for (const name of consider) {
      const r = current.get(name);
      if (r && this.held.get(name)?.version !== r.version) out.push(r);
    }
    return out;
  }
}

/** Sorted, de-duplicated names: logs and comparisons stay stable. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
