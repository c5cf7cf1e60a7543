// Views that group one kind's objects (by namespace, label, parent, …),
// derived from the table and cached on it like `derived`, but when the table
// came from the previous one by a few changes, the view is patched from the
// previous view instead of rebuilt: one pod move must not regroup 50k pods.
import { TableDraft } from './layered-table';
import { keyOf, type KubeObject } from './meta';
import { lineageOf, list, tableOf, viewsOf, type KindMap, type KindName, type Table, type World } from './world';

/** How a group's members are ordered: by object key, or as the table lists them. */
export type GroupOrder = 'key' | 'table';

export type Grouped<T> = ReadonlyMap<string, readonly T[]>;

/** Patching copies the group map, so past this many changes a rebuild is as cheap. */
const MAX_PATCH = 256;

function build<T extends KubeObject>(items: T[], groupsOf: (o: T) => readonly string[], order: GroupOrder) {
  const m = new Map<string, T[]>();
  const sorted = order === 'key' ? items.map((o) => [keyOf(o), o] as const).sort(([a], [b]) => (a < b ? -1 : 1)) : null;
  for (const o of sorted ? sorted.map(([, o]) => o) : items)
    for (const g of groupsOf(o)) {
      let l = m.get(g);
      if (!l) m.set(g, (l = []));
      l.push(o);
    }
  return m;
}

/** Where `key` goes in a list sorted by key. */
function position(list: readonly KubeObject[], key: string): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keyOf(list[mid]!) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The previous view with each changed key moved out of its old groups and
 * into its new ones, or undefined when order cannot be kept without a rebuild.
 */
function patch<T extends KubeObject>(
  prevView: Grouped<T>,
  prevTable: Table<T>,
  table: Table<T>,
  keys: readonly string[],
  groupsOf: (o: T) => readonly string[],
  order: GroupOrder,
): Grouped<T> | undefined {
  // A layer over the previous view, not a copy of it: a view grouped by
  // Service holds 10,000 groups, and one change touches one or two.
  const m = new TableDraft<T[]>(prevView as ReadonlyMap<string, T[]>);
  const copied = new Set<string>();
  const own = (g: string): T[] => {
    if (!copied.has(g)) {
      m.set(g, [...(m.get(g) ?? [])]);
      copied.add(g);
    }
    return m.get(g)!;
  };
  for (const key of keys) {
    const before = prevTable.get(key);
    const after = table.get(key);
    const was = new Set(before ? groupsOf(before) : []);
    const now = new Set(after ? groupsOf(after) : []);
    for (const g of was) {
      const l = own(g);
      const i = l.findIndex((o) => keyOf(o) === key);
      if (after && now.has(g) && i >= 0) l[i] = after;
      else if (i >= 0) l.splice(i, 1);
    }
    for (const g of now) {
      if (was.has(g)) continue;
      // A table keeps an updated key where it was, so in table order an
      // existing object joining a group has a place only a rebuild knows.
      if (order === 'table' && before) return undefined;
      const l = own(g);
      if (order === 'key') l.splice(position(l, key), 0, after!);
      else l.push(after!);
    }
  }
  for (const g of copied) if (m.get(g)?.length === 0) m.delete(g);
  return m.finish();
}

/** `kind`'s objects grouped by `groupsOf` (each object listed once per distinct group), cached per table. */
export function grouped<K extends KindName>(
  world: World,
  kind: K,
  name: string,
  groupsOf: (o: KindMap[K]) => readonly string[],
  order: GroupOrder,
): Grouped<KindMap[K]> {
  const table = tableOf(world, kind);
  const views = viewsOf(table);
  const cached = views.get(name) as Grouped<KindMap[K]> | undefined;
  if (cached) return cached;
  const lineage = lineageOf(table);
  const prevView = lineage && (viewsOf(lineage.prev).get(name) as Grouped<KindMap[K]> | undefined);
  let view: Grouped<KindMap[K]> | undefined;
  if (lineage && prevView && lineage.keys.length <= MAX_PATCH && !(order === 'table' && lineage.reordered))
    view = patch(prevView, lineage.prev as Table<KindMap[K]>, table, lineage.keys, groupsOf, order);
  view ??= build(list(world, kind), groupsOf, order);
  views.set(name, view);
  return view;
}

/** Objects of `kind` in `namespace`, in table order, cached per World. */
// One empty list for every empty group, so that callers memoising on the
// identity of what they read see "still nothing" as unchanged.
const NONE: readonly never[] = Object.freeze([]);

const byNamespace = <K extends KindName>(world: World, kind: K) =>
  grouped(world, kind, 'byNamespace', (o) => [o.metadata.namespace ?? ''], 'table');

export function inNamespace<K extends KindName>(world: World, kind: K, namespace: string): readonly KindMap[K][] {
  return (byNamespace(world, kind).get(namespace) ?? NONE) as KindMap[K][];
}

/** The namespaces that hold any object of `kind`. */
export function namespacesWith(world: World, kind: KindName): IterableIterator<string> {
  return byNamespace(world, kind).keys();
}

// A namespace's objects by name, cached on the namespace's list (which keeps
// its identity while nothing of that kind in the namespace changes).
const BY_NAME = new WeakMap<readonly KubeObject[], ReadonlyMap<string, KubeObject>>();

/**
 * `get(world, kind, namespace, name)`, looked up by the name alone: no key
 * string to build and hash for each of many lookups (a Service's pods, every
 * pod's Namespace). Namespace '' holds the cluster-scoped objects, whose key
 * has no namespace either.
 */
export function getInNamespace<K extends KindName>(
  world: World,
  kind: K,
  namespace: string,
  name: string,
): KindMap[K] | undefined {
  const objects = inNamespace(world, kind, namespace);
  let byName = BY_NAME.get(objects);
  if (!byName) {
    const m = new Map<string, KubeObject>();
    for (const o of objects) m.set(o.metadata.name, o);
    BY_NAME.set(objects, (byName = m));
  }
  return byName.get(name) as KindMap[K] | undefined;
}
