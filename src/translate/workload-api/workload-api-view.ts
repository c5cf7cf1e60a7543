import type { AmbientIndex } from '../../ambient';
import { TypeUrl, type PreparedResource } from '../../envoy';
import { namespacesWith, parseKey, type KindName, type World } from '../../model';
import { BucketedView, bucketOf, type Patch } from '../buckets';
import type { TranslateOptions } from '../context';
import type { Encoded } from '../reuse';
import { Reuse } from '../reuse';
import { buildWorkloadApi } from './workload-api';

// The kinds a namespace's workload-API resources come from.
const SOURCE_KINDS: readonly KindName[] = ['Service', 'Pod', 'ServiceEntry', 'WorkloadEntry', 'AuthorizationPolicy'];

/**
 * The namespaces a change of `changedKeys` reaches in the view: those of
 * the source kinds' objects and of Namespaces (their labels enroll and bind
 * workloads); every one for a cluster-scoped object (a Node gives pods
 * their locality). Objects of other kinds (routes, rules, Telemetry) are
 * never read by buildWorkloadApi, so an HTTPRoute edit rebuilds no
 * namespace here. Changes of the waypoints themselves come through the
 * ambient index, which the caller compares.
 */
export function workloadApiNamespaces(changedKeys: Iterable<string>): Set<string> | 'all' {
  const touched = new Set<string>();
  for (const key of changedKeys) {
    const k = parseKey(key);
    if (k.kind === 'Namespace') touched.add(k.name);
    else if (k.namespace === undefined) return 'all';
    else if ((SOURCE_KINDS as readonly string[]).includes(k.kind)) touched.add(k.namespace);
  }
  return touched;
}

const API_TYPES = [TypeUrl.Address, TypeUrl.Workload, TypeUrl.Authorization];

/**
 * The workload API kept one namespace at a time, each with its last
 * encodings: a change rebuilds the namespaces it reaches and reports only
 * what changed in the view.
 */
export class WorkloadApiView {
  private readonly view = new BucketedView();
  private readonly encoded = new Map<string, Encoded>();

  constructor(private readonly opts: TranslateOptions) {}

  /** Rebuilds `namespaces` (or every one); what changed, by type. */
  update(world: World, index: AmbientIndex, namespaces: Iterable<string> | 'all'): Map<string, Patch> {
    const todo = new Set(namespaces === 'all' ? this.view.bucketNames() : namespaces);
    if (namespaces === 'all')
      for (const kind of SOURCE_KINDS) for (const ns of namespacesWith(world, kind)) todo.add(ns);
    for (const ns of todo) {
      const reuse = new Reuse(this.encoded.get(ns));
      const out = buildWorkloadApi(world, index, this.opts, reuse, ns);
      if (reuse.next.size > 0) this.encoded.set(ns, reuse.next);
      else this.encoded.delete(ns);
      this.view.replace(ns, bucketOf(out));
    }
    return this.view.take();
  }

  /** Every resource of the view, by type. */
  resources(): Map<string, PreparedResource[]> {
    return new Map(API_TYPES.map((t) => [t, this.view.all(t)]));
  }
}
