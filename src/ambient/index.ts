import {
  get,
  inNamespace,
  keyOf,
  LABEL,
  list,
  objectKey,
  parseKey,
  type KindName,
  type KubeObject,
  type Pod,
  type Service,
  type ServiceEntry,
  type World,
  type WorkloadEntry,
} from '../model';
import { bind, type Binding, type Subject } from './binding';
import { backingPods } from './endpoints';
import { isWaypointPod } from './enrollment';
import {
  DEFAULT_WAYPOINT_OPTIONS,
  discoverWaypoints,
  waypointKey,
  type Waypoint,
  type WaypointOptions,
} from './waypoints';

export { bind, boundCondition, type Binding, type BindReason, type Subject } from './binding';
export {
  DEFAULT_WAYPOINT_OPTIONS,
  discoverWaypoints,
  waypointKey,
  type Waypoint,
  type WaypointRef,
  type WaypointOptions,
} from './waypoints';
export { backingPods, podsOfService, endpointsOf, type ServiceEndpoint } from './endpoints';
export { isEnrolled, isWaypointPod } from './enrollment';

type ServiceLike = Service | ServiceEntry;
type WorkloadLike = Pod | WorkloadEntry;

/** Who is served by which waypoint, and why not, for every service and workload. */
export interface AmbientIndex {
  readonly world: World;
  readonly options: WaypointOptions;
  /** Every waypoint Gateway by `<ns>/<name>`, in key order. */
  readonly waypoints: ReadonlyMap<string, Waypoint>;
  /** By object key (Service/…, ServiceEntry/…, Pod/…, WorkloadEntry/…). */
  readonly bindings: ReadonlyMap<string, Binding>;
  /** Services and ServiceEntries a waypoint (by `<ns>/<name>`) serves, in key order. */
  servicesOf(waypoint: string): ServiceLike[];
  /** Pods and WorkloadEntries a waypoint serves, in key order. */
  workloadsOf(waypoint: string): WorkloadLike[];
  /** The waypoint serving an object, by its key. */
  waypointFor(key: string): Waypoint | undefined;
  /** Pods backing a Service, by its key: its EndpointSlices' pods, else its selector's. */
  podsOf(serviceKey: string): Pod[];
}

const SERVICE_KINDS = ['Service', 'ServiceEntry'] as const;
const WORKLOAD_KINDS = ['Pod', 'WorkloadEntry'] as const;
const SUBJECT_OF: Partial<Record<string, Subject>> = {
  Service: 'service',
  ServiceEntry: 'service',
  Pod: 'workload',
  WorkloadEntry: 'workload',
};
/** Kinds whose change can move every binding: the waypoints themselves. */
const WAYPOINT_KINDS = new Set(['Gateway', 'GatewayClass']);

interface Entry {
  object: KubeObject;
  binding: Binding;
}

function bindOne(o: KubeObject, world: World, waypoints: ReadonlyMap<string, Waypoint>): Binding {
  const subject = SUBJECT_OF[o.kind] ?? 'service';
  if (subject === 'workload') return isWaypointPod(o) ? { kind: 'unbound' } : bind(o, subject, world, waypoints);
  // A waypoint's own Service must not send its traffic through a waypoint.
  const own = o.metadata.labels?.[LABEL.gatewayName];
  const ns = o.metadata.namespace ?? 'default';
  if (own !== undefined && waypoints.has(waypointKey({ namespace: ns, name: own }))) return { kind: 'unbound' };
  return bind(o, subject, world, waypoints);
}

export function buildAmbientIndex(world: World, options: WaypointOptions = DEFAULT_WAYPOINT_OPTIONS): AmbientIndex {
  const waypoints = discoverWaypoints(world, options);
  const entries = new Map<string, Entry>();
  for (const kind of [...SERVICE_KINDS, ...WORKLOAD_KINDS])
    for (const o of list(world, kind)) entries.set(keyOf(o), { object: o, binding: bindOne(o, world, waypoints) });
  return makeIndex(world, options, waypoints, entries);
}

/**
 * The index for `world`, reusing `prev` where the changed keys cannot have
 * moved anything: a binding reads only its object, its namespace and the
 * waypoints. A Gateway or GatewayClass change rebuilds everything; a
 * Namespace change rebinds that namespace's objects; a Service, ServiceEntry,
 * Pod or WorkloadEntry change rebinds that object; any other change (routes,
 * policies) keeps every binding. Same result as buildAmbientIndex(world).
 */
export function updateAmbientIndex(prev: AmbientIndex, world: World, changed: ReadonlySet<string>): AmbientIndex {
  const parsed = [...changed].map(parseKey);
  if (parsed.some((k) => WAYPOINT_KINDS.has(k.kind))) return buildAmbientIndex(world, prev.options);
  const touched = new Set<string>();
  const namespaces = new Set(parsed.filter((k) => k.kind === 'Namespace').map((k) => k.name));
  for (const k of parsed) if (SUBJECT_OF[k.kind]) touched.add(objectKey(k.kind, k.namespace, k.name));
  if (touched.size === 0 && namespaces.size === 0) {
    return makeIndex(world, prev.options, prev.waypoints, entriesOf(prev));
  }
  // Waypoint readiness and admission read no Namespace, Service or Pod, so
  // the waypoints are reused; only the affected bindings are recomputed.
  const entries = new Map(entriesOf(prev));
  for (const ns of namespaces)
    for (const kind of [...SERVICE_KINDS, ...WORKLOAD_KINDS])
      for (const o of inNamespace(world, kind, ns)) touched.add(keyOf(o));
  for (const key of touched) {
    const k = parseKey(key);
    const o = get(world, k.kind as KindName, k.namespace, k.name);
    if (o) entries.set(key, { object: o, binding: bindOne(o, world, prev.waypoints) });
    else entries.delete(key);
  }
  return makeIndex(world, prev.options, prev.waypoints, entries);
}

const ENTRIES = new WeakMap<AmbientIndex, ReadonlyMap<string, Entry>>();
function entriesOf(index: AmbientIndex): ReadonlyMap<string, Entry> {
  const e = ENTRIES.get(index);
  if (e) return e;
  // An index not made here (a test double): rebuild its entries from the world.
  return new Map(
    [...index.bindings].flatMap(([key, binding]) => {
      const k = parseKey(key);
      const object = get(index.world, k.kind as KindName, k.namespace, k.name);
      return object ? [[key, { object, binding }] as const] : [];
    }),
  );
}

function makeIndex(
  world: World,
  options: WaypointOptions,
  waypoints: ReadonlyMap<string, Waypoint>,
  entries: ReadonlyMap<string, Entry>,
): AmbientIndex {
  const bindings = new Map<string, Binding>();
  const services = new Map<string, ServiceLike[]>();
  const workloads = new Map<string, WorkloadLike[]>();
  for (const key of [...entries.keys()].sort()) {
    const { object, binding } = entries.get(key)!;
    bindings.set(key, binding);
    if (binding.kind !== 'bound') continue;
    const into = (SUBJECT_OF[object.kind] === 'workload' ? workloads : services) as Map<string, KubeObject[]>;
    const wk = waypointKey(binding.waypoint);
    let l = into.get(wk);
    if (!l) into.set(wk, (l = []));
    l.push(object);
  }
  const pods = new Map<string, Pod[]>();
  const index: AmbientIndex = {
    world,
    options,
    waypoints,
    bindings,
    servicesOf: (w) => services.get(w) ?? [],
    workloadsOf: (w) => workloads.get(w) ?? [],
    waypointFor(key) {
      const b = bindings.get(key);
      return b?.kind === 'bound' ? waypoints.get(waypointKey(b.waypoint)) : undefined;
    },
    podsOf(serviceKey) {
      let p = pods.get(serviceKey);
      if (!p) {
        const k = parseKey(serviceKey);
        const svc = k.kind === 'Service' ? get(world, 'Service', k.namespace, k.name) : undefined;
        pods.set(serviceKey, (p = svc ? backingPods(svc, world) : []));
      }
      return p;
    },
  };
  ENTRIES.set(index, entries);
  return index;
}
