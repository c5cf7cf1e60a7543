import {
  AMBIENT,
  ANNOTATION,
  get,
  keyOf,
  LABEL,
  list,
  NONE,
  type KubeObject,
  type Pod,
  type Service,
  type ServiceEntry,
  type World,
  type WorkloadEntry,
} from '../model';
import { bind, type Binding } from './binding';
import { discoverWaypoints, waypointKey, type Waypoint, type WaypointOptions } from './waypoints';

export { bind, boundCondition, type Binding, type BindReason } from './binding';
export { discoverWaypoints, waypointKey, type Waypoint, type WaypointRef, type WaypointOptions } from './waypoints';
export { podsOfService, endpointsOf, type ServiceEndpoint } from './endpoints';

/** Who is served by which waypoint, and why not, for every service and workload. */
export interface AmbientIndex {
  readonly waypoints: ReadonlyMap<string, Waypoint>;
  /** By object key (Service/…, ServiceEntry/…, Pod/…, WorkloadEntry/…). */
  readonly bindings: ReadonlyMap<string, Binding>;
  servicesOf(waypoint: string): (Service | ServiceEntry)[];
  workloadsOf(waypoint: string): (Pod | WorkloadEntry)[];
  /** The waypoint serving an object, by its key. */
  waypointFor(key: string): Waypoint | undefined;
}

/** Ambient enrollment: namespace or pod label, or istiod's redirection annotation; `none` on the pod opts out. */
export function isEnrolled(pod: Pod | WorkloadEntry, world: World): boolean {
  const own = pod.metadata.labels?.[LABEL.dataplaneMode];
  if (own === NONE) return false;
  if (own === AMBIENT) return true;
  if (pod.metadata.annotations?.[ANNOTATION.redirection] === 'enabled') return true;
  const ns = get(world, 'Namespace', undefined, pod.metadata.namespace ?? 'default');
  return ns?.metadata.labels?.[LABEL.dataplaneMode] === AMBIENT;
}

/** Waypoint pods implement a Gateway; they never get a waypoint themselves. */
export function isWaypointPod(o: KubeObject): boolean {
  return o.metadata.labels?.[LABEL.gatewayName] !== undefined;
}

export function buildAmbientIndex(world: World, opts: WaypointOptions): AmbientIndex {
  const waypoints = discoverWaypoints(world, opts);
  const bindings = new Map<string, Binding>();
  const services = new Map<string, (Service | ServiceEntry)[]>();
  const workloads = new Map<string, (Pod | WorkloadEntry)[]>();
  const record = <T extends KubeObject>(o: T, b: Binding, into: Map<string, T[]>) => {
    bindings.set(keyOf(o), b);
    if (b.kind !== 'bound') return;
    const k = waypointKey(b.waypoint);
    let l = into.get(k);
    if (!l) into.set(k, (l = []));
    l.push(o);
  };
  for (const s of [...list(world, 'Service'), ...list(world, 'ServiceEntry')]) {
    // A waypoint's own Service must not send its traffic through a waypoint.
    const own = s.metadata.labels?.[LABEL.gatewayName];
    const implementsWaypoint = own !== undefined && waypoints.has(`${s.metadata.namespace ?? 'default'}/${own}`);
    record(s, implementsWaypoint ? { kind: 'unbound' } : bind(s, 'service', world, waypoints), services);
  }
  for (const p of [...list(world, 'Pod'), ...list(world, 'WorkloadEntry')]) {
    const b: Binding = isWaypointPod(p) ? { kind: 'unbound' } : bind(p, 'workload', world, waypoints);
    record(p, b, workloads);
  }
  const byKey = (a: KubeObject, b: KubeObject) => (keyOf(a) < keyOf(b) ? -1 : 1);
  for (const l of services.values()) l.sort(byKey);
  for (const l of workloads.values()) l.sort(byKey);
  return {
    waypoints,
    bindings,
    servicesOf: (w) => services.get(w) ?? [],
    workloadsOf: (w) => workloads.get(w) ?? [],
    waypointFor(key) {
      const b = bindings.get(key);
      return b?.kind === 'bound' ? waypoints.get(waypointKey(b.waypoint)) : undefined;
    },
  };
}
