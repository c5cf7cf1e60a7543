import { messageName, PUSH_ORDER, toProtoJson, TypeUrl, type Json, type PreparedResource } from '../envoy';
import { applyChanges, parseKey, type Change, type World } from '../model';
import { DEFAULT_OPTIONS, IncrementalTranslator, type ObjectStatus } from '../translate';
import type { ResourceMap } from '../xds';
import { analyzeWorld, formatMessage, type Message } from './analyze';
import { fieldDiff, type FieldChange } from './diff-fields';
import { describeRejection } from '../translate/status/status-rejections';
import { WorkloadApiView } from '../translate/workload-api/workload-api-view';
import { RejectGate } from '../server/pipeline-reject';
import { ZTUNNEL_KEY } from '../server/proxy-key';

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
  /** Resources of the proxies the change reaches that Envoy would refuse or load with problems (serve holds the refused back). */
  rejected: string[];
  /** Those the configuration compared with has and the change clears. */
  resolved: string[];
}

function byName(list: readonly PreparedResource[] | undefined): ResourceMap {
  return new Map((list ?? []).map((r) => [r.name, r]));
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
 * The namespaces whose workload-API resources `changed` can move: every one
 * when the waypoints changed or a cluster-scoped object other than a
 * Namespace did (as ServeStep decides for serve).
 */
function reachedNamespaces(changed: ReadonlySet<string>, waypointsMoved: boolean): Set<string> | 'all' {
  if (waypointsMoved) return 'all';
  const out = new Set<string>();
  for (const key of changed) {
    const k = parseKey(key);
    if (k.kind === 'Namespace') out.add(k.name);
    else if (k.namespace !== undefined) out.add(k.namespace);
    else return 'all';
  }
  return out;
}

/**
 * What applying `changes` to `before` would change for every proxy, with
 * the pieces serve's step uses (the incremental translator, the workload-API
 * view, the reject gate): every waypoint of `before` is translated, then
 * the changes are applied as one step, so only the waypoints whose reads
 * they touch are translated again; the workload API is built, on both
 * sides, only for the namespaces the change reaches. Only resources whose
 * content version moved are decoded and diffed field by field.
 */
export function diffWorlds(before: World, changes: readonly Change[], opts: { assumeReady: boolean }): DiffReport {
  const topts = { ...DEFAULT_OPTIONS, assumeReady: opts.assumeReady };
  const translator = new IncrementalTranslator(topts);
  const gate = new RejectGate();
  // The same check on the baseline, for the proxies the change reaches only,
  // so a fix shows as resolved and a rejection that stays is no change.
  const wasGate = new RejectGate();
  const first = translator.update(before, 'all');
  // The baseline stands for what is served now, which serve already checked;
  // checking every resource of the mesh again would be most of a diff.
  const held = new Map([...translator.outputs].map(([key, out]) => [key, out.resources]));
  const firstOutputs = new Map(translator.outputs);
  const applied = applyChanges(before, changes);
  const second = translator.update(applied.world, applied.changed);

  const targets: TargetDiff[] = [];
  const wasWaypoint = (k: string) => first.index.waypoints.has(k);
  const isWaypoint = (k: string) => second.index.waypoints.has(k);
  for (const key of [...new Set([...second.translated, ...second.removed])].sort()) {
    const wasOut = firstOutputs.get(key);
    if (wasOut) wasGate.admit(wasOut, () => undefined);
    const out = translator.outputs.get(key);
    const now = out
      ? gate.admit(out, (t, name) =>
          held
            .get(key)
            ?.get(t)
            ?.find((r) => r.name === name),
        )
      : new Map();
    const types: TypeChanges[] = [];
    for (const t of PUSH_ORDER) {
      const tc = typeChanges(t, byName(held.get(key)?.get(t)), byName(now.get(t)));
      if (tc) types.push(tc);
    }
    const waypoint =
      !wasWaypoint(key) && isWaypoint(key) ? 'added' : wasWaypoint(key) && !isWaypoint(key) ? 'removed' : undefined;
    if (types.length > 0 || waypoint)
      targets.push({ target: key, what: describeTarget(key), ...(waypoint ? { waypoint } : {}), types });
  }

  const reached = reachedNamespaces(applied.changed, first.index.waypoints !== second.index.waypoints);
  const wasApi = new WorkloadApiView(topts);
  wasApi.update(before, first.index, reached);
  const isApi = new WorkloadApiView(topts);
  isApi.update(applied.world, second.index, reached);
  const was = wasApi.resources();
  const is = isApi.resources();
  const ztunnel: TypeChanges[] = [];
  for (const t of [TypeUrl.Address, TypeUrl.Authorization]) {
    wasGate.admitPatch(ZTUNNEL_KEY, t, was.get(t) ?? [], [], 'ztunnel');
    const admitted = gate.admitPatch(ZTUNNEL_KEY, t, is.get(t) ?? [], [], 'ztunnel');
    const tc = typeChanges(t, byName(was.get(t)), byName(admitted));
    if (tc) ztunnel.push(tc);
  }
  if (ztunnel.length > 0) targets.push({ target: ZTUNNEL_KEY, what: describeTarget(ZTUNNEL_KEY), types: ztunnel });
  // Every waypoint shares one Workload list: it is reported once.
  wasGate.admitPatch('workloads', TypeUrl.Workload, was.get(TypeUrl.Workload) ?? [], [], 'ztunnel');
  const workloads = typeChanges(
    TypeUrl.Workload,
    byName(was.get(TypeUrl.Workload)),
    byName(gate.admitPatch('workloads', TypeUrl.Workload, is.get(TypeUrl.Workload) ?? [], [], 'ztunnel')),
  );
  if (workloads)
    targets.push({ target: 'every waypoint', what: 'Workload entries every waypoint gets', types: [workloads] });

  // With the istio.io/EnvoyAccepted condition serve writes for each refusal.
  const statuses = statusChanges(wasGate.statuses(first.statuses), gate.statuses(second.statuses));
  const findings = findingChanges(
    analyzeWorld(before, first.index, first.statuses),
    analyzeWorld(applied.world, second.index, second.statuses),
  );
  const rejected = gate.rejections().map(describeRejection);
  const wasRejected = wasGate.rejections().map(describeRejection);
  const resolved = wasRejected.filter((x) => !rejected.includes(x));
  return {
    changed:
      targets.length > 0 ||
      statuses.length > 0 ||
      findings.added.length > 0 ||
      findings.resolved.length > 0 ||
      rejected.some((x) => !wasRejected.includes(x)) ||
      resolved.length > 0,
    targets,
    statuses,
    findings,
    rejected,
    resolved,
  };
}
