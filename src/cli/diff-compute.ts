import { messageName, PUSH_ORDER, toProtoJson, TypeUrl, type Json, type PreparedResource } from '../envoy';
import { applyChanges, type Change, type World } from '../model';
import { DEFAULT_OPTIONS, IncrementalTranslator, type ObjectStatus, type WaypointOutput } from '../translate';
import { SnapshotCache, type ResourceMap } from '../xds';
import { analyzeWorld, formatMessage, type Message } from './analyze';
import { fieldDiff, type FieldChange } from './diff-fields';
import { describeRejection } from '../translate/status-rejections';
import { ServeStep } from './pipeline-step';
import { RejectGate } from './pipeline-reject';
import { ZTUNNEL_KEY } from './proxy-key';

/** One resource that a proxy would receive differently. */
export interface ResourceChange {
  name: string;
  change: 'added' | 'removed' | 'changed';
  /** For a changed resource: every field that differs. */
  fields?: FieldChange[];
  /** For an added or removed resource: the whole of it (proto3 JSON). */
  resource?: Json;
}

export interface TypeChanges {
  type: string;
  resources: ResourceChange[];
}

/** What one proxy (or group of proxies sharing a view) would receive differently. */
export interface TargetDiff {
  /** `ns/name` of a waypoint, `ztunnel`, or `every waypoint` for the shared Workload list. */
  target: string;
  what: string;
  /** The waypoint appears or disappears with these manifests. */
  waypoint?: 'added' | 'removed';
  types: TypeChanges[];
}

export interface StatusChange {
  kind: string;
  namespace?: string;
  name: string;
  fields: FieldChange[];
}

export interface DiffReport {
  changed: boolean;
  targets: TargetDiff[];
  statuses: StatusChange[];
  findings: { added: Message[]; resolved: Message[] };
  /** Resources of the change Envoy would refuse or load with problems (serve holds the refused back). */
  rejected: string[];
}

type Snapshot = Map<string, Map<string, ResourceMap>>;

/**
 * serve's reject gate for the changed configuration only. The baseline
 * stands for what is served now, which serve already checked; checking
 * every resource of the mesh again cost a third of a diff.
 */
class ChangeGate extends RejectGate {
  armed = false;
  override admit(out: WaypointOutput, served: (typeUrl: string, name: string) => PreparedResource | undefined) {
    return this.armed ? super.admit(out, served) : out.resources;
  }
  override admitPatch(
    key: string,
    typeUrl: string,
    upserts: readonly PreparedResource[],
    removes: readonly string[],
    client: 'grpc' | 'ztunnel',
  ): readonly PreparedResource[] {
    return this.armed ? super.admitPatch(key, typeUrl, upserts, removes, client) : upserts;
  }
}

/** The cache's maps are never changed once given out, so holding them is a snapshot. */
function snapshot(cache: SnapshotCache): Snapshot {
  const out: Snapshot = new Map();
  for (const key of cache.keys()) out.set(key, new Map(PUSH_ORDER.map((t) => [t, cache.get(key, t)])));
  return out;
}

function decode(r: PreparedResource): Json {
  return toProtoJson(r.messageName, r.body);
}

function typeChanges(typeUrl: string, before: ResourceMap, after: ResourceMap): TypeChanges | undefined {
  const out: ResourceChange[] = [];
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const name of names) {
    const a = before.get(name);
    const b = after.get(name);
    if (a && b && a.version === b.version) continue;
    if (!a && b) out.push({ name, change: 'added', resource: decode(b) });
    else if (a && !b) out.push({ name, change: 'removed', resource: decode(a) });
    else if (a && b) out.push({ name, change: 'changed', fields: fieldDiff(decode(a), decode(b)) });
  }
  // The message's own name (Cluster, RouteConfiguration, Address…) reads better than CDS/RDS/WDS.
  return out.length > 0 ? { type: messageName(typeUrl).split('.').pop()!, resources: out } : undefined;
}

function describeTarget(key: string): string {
  return key === ZTUNNEL_KEY ? 'every ztunnel (workload API)' : 'waypoint';
}

const EMPTY: ResourceMap = new Map();

/** Statuses as JSON keyed by object; the transition time is not a change a user makes. */
function statusMap(statuses: readonly ObjectStatus[]): Map<string, ObjectStatus> {
  return new Map(statuses.map((s) => [`${s.kind}/${s.namespace ?? ''}/${s.name}`, s]));
}

function statusJson(s: ObjectStatus | undefined): Json {
  // A status that appears or goes shows as its fields, not as one value.
  if (!s) return {};
  const strip = (c: object): Json => {
    const rest: { [k: string]: unknown } = { ...c };
    delete rest.lastTransitionTime;
    return rest as Json;
  };
  return {
    ...(s.conditions ? { conditions: s.conditions.map(strip) } : {}),
    ...(s.parents
      ? {
          parents: s.parents.map((p) => ({
            parentRef: p.parentRef as Json,
            conditions: p.conditions.map(strip),
          })),
        }
      : {}),
  };
}

function statusChanges(before: readonly ObjectStatus[], after: readonly ObjectStatus[]): StatusChange[] {
  const a = statusMap(before);
  const b = statusMap(after);
  const out: StatusChange[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const s = (b.get(key) ?? a.get(key))!;
    const fields = fieldDiff(statusJson(a.get(key)), statusJson(b.get(key)));
    if (fields.length > 0) out.push({ kind: s.kind, namespace: s.namespace, name: s.name, fields });
  }
  return out;
}

function findingChanges(before: readonly Message[], after: readonly Message[]): DiffReport['findings'] {
  const a = new Set(before.map(formatMessage));
  const b = new Set(after.map(formatMessage));
  return {
    added: after.filter((m) => !a.has(formatMessage(m))),
    resolved: before.filter((m) => !b.has(formatMessage(m))),
  };
}

/**
 * What applying `changes` to `before` would change for every proxy, on
 * serve's own path (ServeStep: the incremental translator, the shared
 * workload-API view and the reject gate): `before` is translated in full,
 * then the changes are applied as one step, and each cache entry the step
 * touched is compared with what it held. Only resources whose content
 * version moved are decoded and diffed field by field.
 */
export function diffWorlds(before: World, changes: readonly Change[], opts: { assumeReady: boolean }): DiffReport {
  const topts = { ...DEFAULT_OPTIONS, assumeReady: opts.assumeReady };
  const cache = new SnapshotCache();
  const gate = new ChangeGate();
  const step = new ServeStep(new IncrementalTranslator(topts), cache, topts, gate, false);
  const first = step.run(before, 'all').step;
  const held = snapshot(cache);
  const touched = new Map<string, Set<string>>();
  const unsubscribe = cache.subscribe((cs) => {
    for (const c of cs) {
      let types = touched.get(c.key);
      if (!types) touched.set(c.key, (types = new Set()));
      types.add(c.typeUrl);
    }
  });
  const applied = applyChanges(before, changes);
  gate.armed = true;
  const second = step.run(applied.world, applied.changed).step;
  unsubscribe();

  const targets: TargetDiff[] = [];
  let sharedWorkloads: TypeChanges | undefined;
  const wasWaypoint = (k: string) => first.index.waypoints.has(k);
  const isWaypoint = (k: string) => second.index.waypoints.has(k);
  for (const key of [...touched.keys()].sort()) {
    const types: TypeChanges[] = [];
    for (const t of PUSH_ORDER) {
      if (!touched.get(key)!.has(t)) continue;
      const tc = typeChanges(t, held.get(key)?.get(t) ?? EMPTY, cache.get(key, t));
      if (!tc) continue;
      // Every waypoint shares one Workload list: it is reported once, from a
      // waypoint that had it before and still has it.
      if (t === TypeUrl.Workload && wasWaypoint(key) && isWaypoint(key)) {
        sharedWorkloads ??= tc;
        continue;
      }
      if (t === TypeUrl.Workload && (wasWaypoint(key) || isWaypoint(key))) continue;
      types.push(tc);
    }
    const waypoint =
      !wasWaypoint(key) && isWaypoint(key) ? 'added' : wasWaypoint(key) && !isWaypoint(key) ? 'removed' : undefined;
    if (types.length > 0 || waypoint)
      targets.push({ target: key, what: describeTarget(key), ...(waypoint ? { waypoint } : {}), types });
  }
  if (sharedWorkloads)
    targets.push({ target: 'every waypoint', what: 'Workload entries every waypoint gets', types: [sharedWorkloads] });

  const statuses = statusChanges(first.statuses, second.statuses);
  const findings = findingChanges(
    analyzeWorld(before, first.index, first.statuses),
    analyzeWorld(applied.world, second.index, second.statuses),
  );
  const rejected = gate.rejections().map(describeRejection);
  return {
    changed:
      targets.length > 0 ||
      statuses.length > 0 ||
      findings.added.length > 0 ||
      findings.resolved.length > 0 ||
      rejected.length > 0,
    targets,
    statuses,
    findings,
    rejected,
  };
}
