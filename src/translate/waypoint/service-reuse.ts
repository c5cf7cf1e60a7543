import type { ChainPolicyIR, OutboundClusterIR, ServiceIR } from '../ir';
import type { Reads } from '../reads';

/** One served Service's part of a waypoint's IR, with what building it read and added. */
export interface ServiceRecord {
  readonly ir: ServiceIR;
  /** The keys its building recorded, memo hits replayed (reads.ts: memoRead). */
  readonly reads: ReadonlySet<string>;
  /** The outbound clusters it added or looked up, in order: what it brings back when reused. */
  readonly outbound: readonly OutboundClusterIR[];
}

/** What the next translation of the same waypoint needs to reuse services' parts. */
export interface ServiceMemo {
  /** Keys read outside any one service's part: every part depends on them. */
  readonly waypointReads: ReadonlySet<string>;
  /** By `ns/name`. */
  readonly services: ReadonlyMap<string, ServiceRecord>;
  /** The waypoint-wide policy every service without its own shares (kept by identity). */
  readonly shared: ChainPolicyIR;
}

/**
 * The previous translation's memo and the read keys changed since, for a
 * waypoint whose served Services and workloads are the same (the
 * translator's served signature): a service whose reads the change misses
 * keeps its part, unless a waypoint-wide read was hit.
 */
export class ServiceReuse {
  private readonly usable: boolean;

  constructor(
    private readonly prev: ServiceMemo | undefined,
    private readonly hits: readonly string[],
  ) {
    this.usable = prev !== undefined && !this.hit(prev.waypointReads);
  }

  private hit(keys: ReadonlySet<string>): boolean {
    return this.hits.some((k) => keys.has(k));
  }

  /** The last waypoint-wide policy when it is equal to `now`'s, so identity-keyed memos downstream still hit. */
  get previousShared(): ChainPolicyIR | undefined {
    return this.usable ? this.prev?.shared : undefined;
  }

  /** The service's last part, when nothing it or the waypoint read has changed. */
  previous(svcKey: string): ServiceRecord | undefined {
    if (!this.usable) return undefined;
    const r = this.prev?.services.get(svcKey);
    return r && !this.hit(r.reads) ? r : undefined;
  }
}

/**
 * The outbound clusters of one translation. While a service's part is
 * built, every cluster it adds, and every one it finds already added (a
 * `has` check that skips building it), is logged: reused alone, the part
 * must bring back each cluster it relied on. A part that finds a cluster
 * also records what building it read (the builder's reads with `ensure`,
 * else all its part had read when it added it), so it is reused only while
 * that cluster is unchanged. Logs nest, as Reads' scopes do, so a memo
 * shared by parts can keep what its value added and mention it on a hit.
 */
export class OutboundClusters extends Map<string, OutboundClusterIR> {
  private readonly logs: OutboundClusterIR[][] = [];
  /** What building each cluster read, as far as known. */
  private readonly madeFrom = new Map<string, ReadonlySet<string>>();
  /** The reads of the part being built (a set that still grows). */
  private part?: ReadonlySet<string>;

  constructor(private readonly reads: Reads) {
    super();
  }

  /** Runs `fn`, returning its value and the clusters it added or looked up, in order. */
  logging<T>(fn: () => T, part?: ReadonlySet<string>): { value: T; log: OutboundClusterIR[] } {
    const log: OutboundClusterIR[] = [];
    const outer = this.part;
    if (part) this.part = part;
    this.logs.push(log);
    try {
      return { value: fn(), log };
    } finally {
      this.logs.pop();
      this.part = outer;
    }
  }

  /** Builds the cluster named `key` unless it is there; its reads are kept for those who find it. */
  ensure(key: string, build: () => OutboundClusterIR): void {
    if (this.has(key)) return;
    const made = this.reads.capture(build);
    this.set(key, made.value);
    this.madeFrom.set(key, made.keys);
  }

  /** Logs clusters a memo's value relied on, at its hit. */
  mention(clusters: readonly OutboundClusterIR[]): void {
    for (const c of clusters) this.note(c);
  }

  private note(c: OutboundClusterIR): void {
    for (const l of this.logs) l.push(c);
  }

  override set(key: string, value: OutboundClusterIR): this {
    this.note(value);
    if (this.part) this.madeFrom.set(key, this.part);
    else this.madeFrom.delete(key);
    return super.set(key, value);
  }

  override get(key: string): OutboundClusterIR | undefined {
    const v = super.get(key);
    if (v === undefined) return v;
    this.note(v);
    const from = this.madeFrom.get(key);
    if (from) this.reads.replay(from);
    return v;
  }

  override has(key: string): boolean {
    return this.get(key) !== undefined;
  }
}
