import { buildAmbientIndex, type AmbientIndex, type Waypoint } from '../ambient';
import type { World } from '../model';
import { DEFAULT_OPTIONS, type TranslateOptions } from './context';
import type { WaypointIR } from './ir';
import { affects, Reads } from './reads';
import { buildResources, type ResourceSet } from './resources';
import { StatusSink, type ObjectStatus } from './status';
import { computeStatuses } from './statuses';
import { buildWaypointIR } from './waypoint-ir';

export { DEFAULT_OPTIONS, type TranslateOptions } from './context';
export type { ObjectStatus } from './status';
export type { ResourceSet } from './resources';

export interface WaypointOutput {
  key: string;
  namespace: string;
  name: string;
  resources: ResourceSet;
  /** World keys (and `Kind/ns/*` queries) this translation read. */
  reads: ReadonlySet<string>;
  ir: WaypointIR;
}

/** One waypoint: World + index → its Envoy resources. Pure: same inputs, same bytes. */
export function translateWaypoint(
  world: World,
  index: AmbientIndex,
  waypoint: Waypoint,
  opts: TranslateOptions = DEFAULT_OPTIONS,
): WaypointOutput {
  const reads = new Reads();
  const ir = buildWaypointIR({ world, index, waypoint, opts, reads });
  return {
    key: waypoint.key,
    namespace: waypoint.namespace,
    name: waypoint.name,
    resources: buildResources(ir),
    reads: reads.keys,
    ir,
  };
}

export function statusesOf(
  world: World,
  index: AmbientIndex,
  opts: TranslateOptions = DEFAULT_OPTIONS,
): ObjectStatus[] {
  const statuses = new StatusSink();
  computeStatuses({ world, index, opts, statuses });
  return statuses.all();
}

export interface TranslateResult {
  index: AmbientIndex;
  waypoints: Map<string, WaypointOutput>;
  statuses: ObjectStatus[];
}

/** Everything at once (the `translate` command and golden tests). */
export function translateAll(world: World, opts: TranslateOptions & { assumeReady: boolean }): TranslateResult {
  const index = buildAmbientIndex(world, opts);
  const waypoints = new Map<string, WaypointOutput>();
  for (const wp of index.waypoints.values()) waypoints.set(wp.key, translateWaypoint(world, index, wp, opts));
  return { index, waypoints, statuses: statusesOf(world, index, opts) };
}

/** What an incremental step recomputed. */
export interface Step {
  index: AmbientIndex;
  /** Waypoints translated again (new or affected). */
  translated: string[];
  removed: string[];
  statuses: ObjectStatus[];
}

function servedSignature(index: AmbientIndex, wp: Waypoint): string {
  const keys = [...index.servicesOf(wp.key), ...index.workloadsOf(wp.key)].map(
    (o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
  );
  return `${wp.ready}|${wp.trafficType}|${keys.join(',')}`;
}

/**
 * Keeps the last translation of every waypoint and, on each World change,
 * translates again only the waypoints whose reads the change touches or
 * whose set of served services and workloads moved.
 */
export class IncrementalTranslator {
  readonly outputs = new Map<string, WaypointOutput>();
  private readonly signatures = new Map<string, string>();
  index?: AmbientIndex;

  constructor(private readonly opts: TranslateOptions & { assumeReady: boolean }) {}

  update(world: World, changed: ReadonlySet<string> | 'all'): Step {
    const index = buildAmbientIndex(world, this.opts);
    this.index = index;
    const translated: string[] = [];
    for (const wp of index.waypoints.values()) {
      const sig = servedSignature(index, wp);
      const prev = this.outputs.get(wp.key);
      const stale =
        changed === 'all' ||
        !prev ||
        this.signatures.get(wp.key) !== sig ||
        [...changed].some((k) => affects(prev.reads, k));
      if (!stale) continue;
      this.outputs.set(wp.key, translateWaypoint(world, index, wp, this.opts));
      this.signatures.set(wp.key, sig);
      translated.push(wp.key);
    }
    const removed: string[] = [];
    for (const key of [...this.outputs.keys()]) {
      if (index.waypoints.has(key)) continue;
      this.outputs.delete(key);
      this.signatures.delete(key);
      removed.push(key);
    }
    return { index, translated, removed, statuses: statusesOf(world, index, this.opts) };
  }
}
