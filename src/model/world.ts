import type { ConfigMap, EndpointSlice, Namespace, Node, Pod, Service } from './core';
import type { Gateway, GatewayClass, GRPCRoute, HTTPRoute, ReferenceGrant, TCPRoute, TLSRoute } from './gateway';
import type {
  AuthorizationPolicy,
  DestinationRule,
  EnvoyFilter,
  PeerAuthentication,
  RequestAuthentication,
  ServiceEntry,
  Telemetry,
  WasmPlugin,
  WorkloadEntry,
} from './istio';
import { keyOf, objectKey, type KubeObject } from './meta';
import { scoped, scopedNamespace } from './scope';
import { TableDraft } from './layered-table';
import type { BackendTLSPolicy, XBackendTrafficPolicy } from './backend-policy';
import type { VirtualService } from './virtual-service';
import type { Secret } from './secret';

/** Kind name → its type. */
export interface KindMap {
  Namespace: Namespace;
  ConfigMap: ConfigMap;
  Service: Service;
  Pod: Pod;
  Node: Node;
  EndpointSlice: EndpointSlice;
  Gateway: Gateway;
  GatewayClass: GatewayClass;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  TCPRoute: TCPRoute;
  TLSRoute: TLSRoute;
  ReferenceGrant: ReferenceGrant;
  AuthorizationPolicy: AuthorizationPolicy;
  RequestAuthentication: RequestAuthentication;
  Telemetry: Telemetry;
  WasmPlugin: WasmPlugin;
  EnvoyFilter: EnvoyFilter;
  ServiceEntry: ServiceEntry;
  WorkloadEntry: WorkloadEntry;
  DestinationRule: DestinationRule;
  PeerAuthentication: PeerAuthentication;
  BackendTLSPolicy: BackendTLSPolicy;
  XBackendTrafficPolicy: XBackendTrafficPolicy;
  VirtualService: VirtualService;
  Secret: Secret;
}

export type KindName = keyof KindMap;

/** One kind's objects by key, in the order they were first added. */
export type Table<T> = ReadonlyMap<string, T>;

/**
 * An immutable snapshot of every input object. An update makes new tables
 * only for the kinds it changes and leaves every other kind's table (and
 * every other object) the same reference: derived views can be cached per
 * table. A table is read-only: a plain Map, or a layer of the changed keys
 * over the previous version's Map (layered-table.ts), so one change does not
 * cost a copy of its whole kind. Objects are deep-frozen.
 */
export interface World {
  readonly objects: { readonly [K in KindName]?: Table<KindMap[K]> };
  readonly generation: number;
}

export type Change =
  { op: 'upsert'; object: KubeObject } | { op: 'delete'; kind: string; namespace?: string; name: string };

/**
 * Freezes a decoded object and everything in it. Input objects are plain
 * JSON-shaped data, so this walks own enumerable fields only; a frozen part
 * was frozen whole before and is not walked again. Half the cost of immer's
 * general freeze, which checks every value for drafts, Maps and Sets (82,000
 * objects at a 10,000-service start).
 */
export function deepFreeze<T>(v: T): T {
  if (v === null || typeof v !== 'object' || Object.isFrozen(v)) return v;
  Object.freeze(v);
  if (Array.isArray(v)) for (const x of v) deepFreeze(x);
  else for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  return v;
}

export const EMPTY_WORLD: World = deepFreeze({ objects: {}, generation: 0 });

/** How a kind's table came from the previous World's: the keys changed, in the order first changed. */
export interface Lineage {
  prev: object;
  keys: readonly string[];
  /** A key was deleted and put back, so it moved to the end of the table. */
  reordered: boolean;
}

// Only the latest step of each table is kept, so old tables can be collected.
const LINEAGE = new WeakMap<object, Lineage>();

/** Applies changes in order; returns the new World and the keys whose object changed. */
export function applyChanges(world: World, changes: readonly Change[]): { world: World; changed: Set<string> } {
  const changed = new Set<string>();
  const byKind = new Map<string, { keys: string[]; deleted: Set<string>; reordered: boolean }>();
  const note = (kind: string, key: string, deleted: boolean) => {
    let k = byKind.get(kind);
    if (!k) byKind.set(kind, (k = { keys: [], deleted: new Set(), reordered: false }));
    if (!changed.has(key)) k.keys.push(key);
    if (deleted) k.deleted.add(key);
    else if (k.deleted.has(key)) k.reordered = true;
  };
  // The next version of each table this batch changes: a layer over the
  // previous one (layered-table.ts), written until the batch ends.
  const copies = new Map<string, TableDraft<KubeObject>>();
  const tables = world.objects as Record<string, Table<KubeObject> | undefined>;
  const current = (kind: string) => copies.get(kind) ?? tables[kind];
  const own = (kind: string) => {
    let t = copies.get(kind);
    if (!t) copies.set(kind, (t = new TableDraft(tables[kind])));
    return t;
  };
  for (const c of changes) {
    if (c.op === 'upsert') {
      // Every source's objects settle their namespace here, so a namespaced one always has one.
      const object = scoped(c.object);
      const key = keyOf(object);
      const before = current(object.kind)?.get(key);
      if (before !== undefined && sameContent(before, object)) continue;
      own(object.kind).set(key, deepFreeze(object));
      note(object.kind, key, false);
      changed.add(key);
    } else {
      const key = objectKey(c.kind, scopedNamespace(c.kind, c.namespace), c.name);
      if (current(c.kind)?.has(key)) {
        own(c.kind).delete(key);
        note(c.kind, key, true);
        changed.add(key);
      }
    }
  }
  if (changed.size === 0) return { world, changed };
  const objects: Record<string, Table<KubeObject>> = { ...tables } as Record<string, Table<KubeObject>>;
  for (const [kind, t] of copies) objects[kind] = t.finish();
  const next: World = Object.freeze({ objects: Object.freeze(objects), generation: world.generation + 1 });
  for (const [kind, k] of byKind) {
    const prev = world.objects[kind as KindName];
    const table = next.objects[kind as KindName];
    if (!prev || !table || prev === table) continue;
    LINEAGE.delete(prev);
    LINEAGE.set(table, { prev, keys: k.keys, reordered: k.reordered });
  }
  return { world: next, changed };
}

// Sources re-deliver unchanged objects (resyncs, file touches); they must not
// count as changes. Object key order is stable per source, so JSON compares.
function sameContent(a: KubeObject, b: KubeObject): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function list<K extends KindName>(world: World, kind: K): KindMap[K][] {
  const table = world.objects[kind] as Table<KindMap[K]> | undefined;
  return table ? [...table.values()] : [];
}

export function get<K extends KindName>(
  world: World,
  kind: K,
  namespace: string | undefined,
  name: string,
): KindMap[K] | undefined {
  const table = world.objects[kind] as Table<KindMap[K]> | undefined;
  return table?.get(objectKey(kind, namespace, name));
}

const memo = new WeakMap<object, Map<string, unknown>>();

/** One kind's table, or a stable empty one, so views of an absent kind are cached too. */
export function tableOf<K extends KindName>(world: World, kind: K): Table<KindMap[K]> {
  return (world.objects[kind] as Table<KindMap[K]> | undefined) ?? (emptyTable(kind) as Table<KindMap[K]>);
}

/** The views cached on a table (created empty on first use). */
export function viewsOf(table: object): Map<string, unknown> {
  let views = memo.get(table);
  if (!views) memo.set(table, (views = new Map()));
  return views;
}

/** How `table` came from its predecessor, while that is still the latest step. */
export function lineageOf(table: object): Lineage | undefined {
  return LINEAGE.get(table);
}

/**
 * Caches a view derived from one kind's table. Since unchanged tables keep
 * their identity across Worlds, the view is rebuilt only when that kind changed.
 */
export function derived<K extends KindName, T>(
  world: World,
  kind: K,
  name: string,
  build: (items: KindMap[K][]) => T,
): T {
  const views = viewsOf(tableOf(world, kind));
  if (views.has(name)) return views.get(name) as T;
  const v = build(list(world, kind));
  views.set(name, v);
  return v;
}

const EMPTY_TABLES = new Map<string, Table<unknown>>();
function emptyTable(kind: string): Table<unknown> {
  let t = EMPTY_TABLES.get(kind);
  if (!t) EMPTY_TABLES.set(kind, (t = new Map()));
  return t;
}
