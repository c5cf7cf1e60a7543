import type { AmbientIndex } from '../../ambient';
import { TypeUrl, type PreparedResource } from '../../envoy';
import { inNamespace, namespacesWith, parseKey, type Service, type World } from '../../model';
import { BucketedView, bucketOf, type Contribution, type Patch } from '../buckets';
import type { TranslateOptions } from '../context';
import { assemble, servicePiece, type Assembled, type ServicePiece } from './proxyless';
import { readKeysOfAll, Reads } from '../reads';
import { Reuse, type Encoded } from '../reuse';

/**
 * Keeps each service's piece with what it read, so a change rebuilds only
 * the pieces of services that read a changed key (as the incremental
 * translator does for waypoints), and the view as one bucket per namespace
 * with its last encodings, so a change re-assembles only the namespaces it
 * reaches and reports only what changed. New waypoints or 'all' start over.
 */
export class ProxylessBuilder {
  private readonly pieces = new Map<string, { svc: Service; reads: ReadonlySet<string>; piece: ServicePiece }>();
  private readonly encoded = new Map<string, Encoded>();
  /** Pieces by read key, so a change finds the pieces it reaches without visiting the others. */
  private readonly readers = new Map<string, Set<string>>();
  /** The pieces each namespace's bucket was assembled from. */
  private readonly byNamespace = new Map<string, Set<string>>();
  private readonly view = new BucketedView();
  private waypoints?: AmbientIndex['waypoints'];
  /** The World of the last build: what a change is compared with. */
  private world?: World;

  constructor(private readonly opts: TranslateOptions) {}

  /** Brings the view up to date with `world`; what changed in it, by type. */
  build(world: World, index: AmbientIndex, changed: ReadonlySet<string> | 'all'): Map<string, Patch> {
    const dirty = new Set<string>();
    if (changed === 'all' || index.waypoints !== this.waypoints) {
      this.pieces.clear();
      this.readers.clear();
      this.byNamespace.clear();
      for (const ns of this.view.bucketNames()) dirty.add(ns);
      for (const ns of namespacesWith(world, 'Service')) dirty.add(ns);
    } else {
      // Worked out once per change, not once per piece.
      const stale = new Set<string>();
      for (const h of readKeysOfAll(changed, world, this.world))
        for (const key of this.readers.get(h) ?? []) stale.add(key);
      for (const key of stale) {
        const p = this.pieces.get(key);
        if (p) dirty.add(p.svc.metadata.namespace);
        this.drop(key);
      }
      // A Service added or deleted changes its namespace's bucket without any piece reading it.
      for (const key of changed) {
        const k = parseKey(key);
        if (k.kind === 'Service') dirty.add(k.namespace ?? '');
      }
    }
    this.waypoints = index.waypoints;
    this.world = world;
    for (const ns of dirty) this.rebuild(world, index, ns);
    return this.view.take();
  }

  /** Every resource of the view, by type. */
  resources(): Map<string, PreparedResource[]> {
    return new Map(PROXYLESS_TYPES.map((t) => [t, this.view.all(t)]));
  }

  private drop(key: string): void {
    const p = this.pieces.get(key);
    if (!p) return;
    this.pieces.delete(key);
    for (const r of p.reads) {
      const keys = this.readers.get(r);
      keys?.delete(key);
      if (keys?.size === 0) this.readers.delete(r);
    }
  }

  private rebuild(world: World, index: AmbientIndex, ns: string): void {
    const reuse = new Reuse(this.encoded.get(ns));
    const services = inNamespace(world, 'Service', ns);
    const visited = new Set<string>();
    const out = assemble(this.opts, reuse, services, (svc) => {
      const key = `${svc.metadata.namespace}/${svc.metadata.name}`;
      visited.add(key);
      const hit = this.pieces.get(key);
      if (hit && hit.svc === svc) return hit.piece;
      this.drop(key);
      // By reference: a route or policy edit rebuilds the pieces of the
      // services it names (before or after), not its whole namespace's.
      const reads = new Reads(true);
      const piece = servicePiece(world, index, this.opts, svc, reads);
      this.pieces.set(key, { svc, reads: reads.keys, piece });
      for (const r of reads.keys) {
        let keys = this.readers.get(r);
        if (!keys) this.readers.set(r, (keys = new Set()));
        keys.add(key);
      }
      return piece;
    });
    // A deleted (or now headless) Service read nothing that changed; it goes here.
    for (const key of this.byNamespace.get(ns) ?? []) if (!visited.has(key)) this.drop(key);
    if (visited.size > 0) this.byNamespace.set(ns, visited);
    else this.byNamespace.delete(ns);
    if (reuse.next.size > 0) this.encoded.set(ns, reuse.next);
    else this.encoded.delete(ns);
    this.view.replace(ns, contributions(out));
  }
}

const PROXYLESS_TYPES = [TypeUrl.Listener, TypeUrl.Route, TypeUrl.Cluster, TypeUrl.Endpoint];

/** A service's own cluster (and its endpoints) outranks another namespace's reference to it. */
function contributions(out: Assembled): Map<string, Map<string, Contribution>> {
  return bucketOf(out.byType, (typeUrl, r) =>
    (typeUrl === TypeUrl.Cluster || typeUrl === TypeUrl.Endpoint) && out.own.has(r.name) ? 1 : 0,
  );
}
