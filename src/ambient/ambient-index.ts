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
import { waypointExtras } from './canary';
import { backingPods } from './endpoints';
import { isWaypointPod } from './enrollment';
import { NamespacedMap, type KeyedLookup } from './namespaced-map';
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
export { isEnrolled, isEnrolledIn, isWaypointPod } from './enrollment';
export type { KeyedLookup } from './namespaced-map';

type ServiceLike = Service | ServiceEntry;
type WorkloadLike = Pod | WorkloadEntry;

/** Who is served by which waypoint, and why not, for every service and workload. */
export interface AmbientIndex {
  readonly world: World;
  readonly options: WaypointOptions;
  /** Every waypoint Gateway by `<ns>/<name>`, in key order. */
  readonly waypoints: ReadonlyMap<string, Waypoint>;
  /** By object key (Service/…, ServiceEntry/…, Pod/…, WorkloadEntry/…). */
  readonly bindings: KeyedLookup<Binding>;
  /** Services and ServiceEntries a waypoint (by `<ns>/<name>`) serves, in key order. */
  servicesOf(waypoint: string): ServiceLike[];
  /** Pods and WorkloadEntries a waypoint serves, in key order. */
  workloadsOf(waypoint: string): WorkloadLike[];
  /** The waypoint serving an object, by its key. */
  waypointFor(key: string): Waypoint | undefined;
  /** The canary waypoint sharing a service's connections with its waypoint, by the service's key. */
  canaryFor(key: string): Waypoint | undefined;
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
  /** A bound service's canary waypoint (`<ns>/<name>`), which serves it too. */
  canary?: string;
}

/**
 * An object's binding, and for a service its canary: the canary waypoint
 * fronts the service as well, so it serves it (ambientindex.go:
 * serviceOwningWaypoints; waypoints.go: buildWeightedWaypoints).
 */
function entryOf(o: KubeObject, world: World, waypoints: ReadonlyMap<string, Waypoint>): Entry {
  const binding = bindOne(o, world, waypoints);
  if (binding.kind !== 'bound' || SUBJECT_OF[o.kind] !== 'service') return { object: o, binding };
  const canary = waypointExtras(o, binding, world, waypoints)?.weighted?.[1]?.waypoint.key;
  return canary ? { object: o, binding, canary } : { object: o, binding };
}

/** The waypoints serving an entry: its own, and its canary. */
function servingKeys(e: Entry | undefined): string[] {
  if (e?.binding.kind !== 'bound') return [];
  const own = waypointKey(e.binding.waypoint);
  return e.canary ? [own, e.canary] : [own];
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

/**
 * The index's tables. Bindings and entries are split by namespace and the
 * per-waypoint lists are kept per waypoint, so an update copies only what it
 * touches.
 */
interface State {
  entries: NamespacedMap<Entry>;
  bindings: NamespacedMap<Binding>;
  services: ReadonlyMap<string, ServiceLike[]>;
  workloads: ReadonlyMap<string, WorkloadLike[]>;
}

const STATE = new WeakMap<AmbientIndex, State>();

function listFor(
  object: KubeObject,
  state: { services: Map<string, ServiceLike[]>; workloads: Map<string, WorkloadLike[]> },
) {
  return (SUBJECT_OF[object.kind] === 'workload' ? state.workloads : state.services) as Map<string, KubeObject[]>;
}

export function buildAmbientIndex(world: World, options: WaypointOptions = DEFAULT_WAYPOINT_OPTIONS): AmbientIndex {
  const waypoints = discoverWaypoints(world, options);
  const entries: [string, Entry][] = [];
  for (const kind of [...SERVICE_KINDS, ...WORKLOAD_KINDS])
    for (const o of list(world, kind)) entries.push([keyOf(o), entryOf(o, world, waypoints)]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const lists = { services: new Map<string, ServiceLike[]>(), workloads: new Map<string, WorkloadLike[]>() };
  for (const [, e] of entries) {
    const into = listFor(e.object, lists);
    for (const wk of servingKeys(e)) {
      let l = into.get(wk);
      if (!l) into.set(wk, (l = []));
      l.push(e.object);
    }
  }
  return makeIndex(world, options, waypoints, {
    entries: NamespacedMap.from(entries),
    bindings: NamespacedMap.from(entries.map(([k, e]) => [k, e.binding] as const)),
    ...lists,
  });
}

/**
 * The index for `world`, reusing `prev` where the changed keys cannot have
 * moved anything: a binding reads only its object, its namespace and the
 * waypoints. A Gateway or GatewayClass change rebuilds everything; a
 * Namespace change rebinds that namespace's objects; a Service, ServiceEntry,
 * Pod or WorkloadEntry change rebinds that object; any other change (routes,
 * policies) keeps every binding. Only the served lists of waypoints that
 * gained, lost or saw a change in a member are rebuilt. Same result as
 * buildAmbientIndex(world).
 */
export function updateAmbientIndex(prev: AmbientIndex, world: World, changed: ReadonlySet<string>): AmbientIndex {
  const state = STATE.get(prev);
  const parsed = [...changed].map(parseKey);
  if (!state || parsed.some((k) => WAYPOINT_KINDS.has(k.kind))) return buildAmbientIndex(world, prev.options);
  const touched = new Set<string>();
  const namespaces = new Set(parsed.filter((k) => k.kind === 'Namespace').map((k) => k.name));
  for (const k of parsed) if (SUBJECT_OF[k.kind]) touched.add(objectKey(k.kind, k.namespace, k.name));
  // Waypoint readiness and admission read no Namespace, Service or Pod, so
  // the waypoints are reused; only the affected bindings are recomputed.
  for (const ns of namespaces)
    for (const kind of [...SERVICE_KINDS, ...WORKLOAD_KINDS])
      for (const o of inNamespace(world, kind, ns)) touched.add(keyOf(o));
  if (touched.size === 0) return makeIndex(world, prev.options, prev.waypoints, state);
  const updates = new Map<string, Entry | undefined>();
  const affected = new Set<string>();
  for (const key of touched) {
    for (const wk of servingKeys(state.entries.get(key))) affected.add(wk);
    const k = parseKey(key);
    const o = get(world, k.kind as KindName, k.namespace, k.name);
    const entry = o && entryOf(o, world, prev.waypoints);
    for (const wk of servingKeys(entry)) affected.add(wk);
    updates.set(key, entry);
  }
  const lists = { services: new Map(state.services), workloads: new Map(state.workloads) };
  for (const wk of affected) {
    for (const into of [lists.services, lists.workloads] as Map<string, KubeObject[]>[]) {
      const kept = (into.get(wk) ?? []).filter((o) => !updates.has(keyOf(o)));
      const members = kept.map((o) => [keyOf(o), o] as const);
      for (const [key, e] of updates)
        if (e && servingKeys(e).includes(wk) && listFor(e.object, lists) === into) members.push([key, e.object]);
      members.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      if (members.length > 0)
        into.set(
          wk,
          members.map(([, o]) => o),
        );
      else into.delete(wk);
    }
  }
  return makeIndex(world, prev.options, prev.waypoints, {
    entries: state.entries.with(updates),
    bindings: state.bindings.with(new Map([...updates].map(([k, e]) => [k, e?.binding] as const))),
    ...lists,
  });
}

function makeIndex(
  world: World,
  options: WaypointOptions,
  waypoints: ReadonlyMap<string, Waypoint>,
  state: State,
): AmbientIndex {
  const { bindings, services, workloads, entries } = state;
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
    canaryFor(key) {
      const c = entries.get(key)?.canary;
      return c ? waypoints.get(c) : undefined;
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
  STATE.set(index, state);
  return index;
}
