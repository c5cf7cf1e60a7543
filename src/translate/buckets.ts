import type { PreparedResource } from '../envoy';

/** What changed in one type of a view: resources to put, names to drop. */
export interface Patch {
  upserts: PreparedResource[];
  removes: string[];
}

/**
 * A resource a bucket contributes, with its rank: when several buckets give
 * the same name, the highest rank is served (a service's own cluster over
 * another namespace's reference to it).
 */
export interface Contribution {
  resource: PreparedResource;
  rank: number;
}

type BucketOut = ReadonlyMap<string, ReadonlyMap<string, Contribution>>;

interface Served {
  resource: PreparedResource;
  rank: number;
  owners: Set<string>;
}

/**
 * A shared view (the workload API, the proxyless view) kept as buckets, one
 * per namespace, so that a change rebuilds only the buckets it reaches and
 * the view reports only what changed: the cost per change follows the
 * namespace, not the mesh. Several buckets may give the same name; one copy
 * is served, and dropping it from one bucket falls back to another's.
 */
export class BucketedView {
  private readonly buckets = new Map<string, BucketOut>();
  private readonly served = new Map<string, Map<string, Served>>();
  /** Names changed since the last `take`, with what is served now (null: nothing). */
  private readonly pending = new Map<string, Map<string, PreparedResource | null>>();

  bucketNames(): IterableIterator<string> {
    return this.buckets.keys();
  }

  /** Replaces one bucket's resources (an empty map drops the bucket); `take` tells what changed. */
  replace(bucket: string, next: BucketOut): void {
    const prev = this.buckets.get(bucket);
    if (next.size > 0) this.buckets.set(bucket, next);
    else this.buckets.delete(bucket);
    for (const [typeUrl, contributions] of next) {
      const was = prev?.get(typeUrl);
      let served = this.served.get(typeUrl);
      if (!served) this.served.set(typeUrl, (served = new Map()));
      for (const [name, c] of contributions) {
        // The same resource from the same bucket: nothing to do.
        const before = was?.get(name);
        if (before?.resource === c.resource && before.rank === c.rank) continue;
        const s = served.get(name);
        if (!s) {
          served.set(name, { resource: c.resource, rank: c.rank, owners: new Set([bucket]) });
          this.note(typeUrl, name, c.resource);
          continue;
        }
        s.owners.add(bucket);
        this.reelect(s, typeUrl, name, bucket);
      }
    }
    for (const [typeUrl, contributions] of prev ?? []) {
      const now = next.get(typeUrl);
      const served = this.served.get(typeUrl);
      if (!served) continue;
      for (const name of contributions.keys()) {
        if (now?.has(name)) continue;
        const s = served.get(name);
        if (!s) continue;
        s.owners.delete(bucket);
        if (s.owners.size === 0) {
          served.delete(name);
          this.note(typeUrl, name, null);
        } else this.reelect(s, typeUrl, name, undefined);
      }
      if (served.size === 0) this.served.delete(typeUrl);
    }
  }

  /** What changed in the view since the last call, by type: each name once, as it ends up. */
  take(): Map<string, Patch> {
    const out = new Map<string, Patch>();
    for (const [typeUrl, names] of this.pending) {
      const p: Patch = { upserts: [], removes: [] };
      for (const [name, r] of names) {
        if (r) p.upserts.push(r);
        else p.removes.push(name);
      }
      out.set(typeUrl, p);
    }
    this.pending.clear();
    return out;
  }

  private note(typeUrl: string, name: string, r: PreparedResource | null): void {
    let m = this.pending.get(typeUrl);
    if (!m) this.pending.set(typeUrl, (m = new Map()));
    m.set(name, r);
  }

  /** Every served resource of `typeUrl`. */
  all(typeUrl: string): PreparedResource[] {
    return [...(this.served.get(typeUrl)?.values() ?? [])].map((s) => s.resource);
  }

  /**
   * Serves the best owner's copy: the highest rank, and among equals the
   * bucket just rebuilt (it reflects the newest World).
   */
  private reelect(s: Served, typeUrl: string, name: string, preferred: string | undefined): void {
    let best: Contribution | undefined;
    for (const owner of s.owners) {
      const c = this.buckets.get(owner)?.get(typeUrl)?.get(name);
      if (c && (!best || c.rank > best.rank || (c.rank === best.rank && owner === preferred))) best = c;
    }
    if (!best) return;
    const changed = s.resource.version !== best.resource.version;
    s.resource = best.resource;
    s.rank = best.rank;
    if (changed) this.note(typeUrl, name, best.resource);
  }
}

/** Contributions by type and name (the last of a name wins), ranked by `rank` (a number, or per resource). */
export function bucketOf(
  byType: ReadonlyMap<string, readonly PreparedResource[]>,
  rank: number | ((typeUrl: string, r: PreparedResource) => number) = 0,
): Map<string, Map<string, Contribution>> {
  const out = new Map<string, Map<string, Contribution>>();
  for (const [typeUrl, resources] of byType) {
    if (resources.length === 0) continue;
    const m = new Map<string, Contribution>();
    for (const resource of resources)
      m.set(resource.name, { resource, rank: typeof rank === 'number' ? rank : rank(typeUrl, resource) });
    out.set(typeUrl, m);
  }
  return out;
}
