// Which Telemetry objects apply to a waypoint chain and what they merge to,
// as istiod's pilot/pkg/model/telemetry.go decides it. A waypoint's chains
// are of the inbound listener class (listener_waypoint.go:
// buildWaypointHTTPFilters), so the SERVER side of every merge applies.
import { readNamespace, type Service, type Telemetry, type TelemetrySpec } from '../../model';
import { derive } from '../derived';
import type { WaypointContext } from '../context';
import { attachmentsOn, targetRefsOf } from './targeting';
import { telemetryMetric } from '../../model/defaults';

export type AccessLogging = NonNullable<TelemetrySpec['accessLogging']>[number];
export type Tracing = NonNullable<TelemetrySpec['tracing']>[number];
export type Metrics = NonNullable<TelemetrySpec['metrics']>[number];

/** The Telemetry in scope for one chain, lowest precedence first. */
export interface ApplicableTelemetry {
  /** Identifies the set: chains with equal keys merge to the same result. */
  key: string;
  /** Access logging, grouped by the object it came from. */
  logging: AccessLogging[][];
  tracing: Tracing[];
  metrics: Metrics[];
  /** Every object that took part, for statuses. */
  objects: Telemetry[];
}

const isNamespaceWide = (t: Telemetry) =>
  Object.keys(t.spec?.selector?.matchLabels ?? {}).length === 0 && targetRefsOf(t.spec).length === 0;

/** telemetry.go: getTelemetries sorts by creation time (then name), so the oldest namespace-wide one wins. */
function byAge(a: Telemetry, b: Telemetry): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

// A namespace's list keeps its identity while none of its Telemetry changes: sorted once.
const sortedByAge = derive((list: readonly Telemetry[]): readonly Telemetry[] => [...list].sort(byAge));

function telemetriesIn(ctx: WaypointContext, ns: string): readonly Telemetry[] {
  const list = readNamespace(ctx, 'Telemetry', ns);
  if (list.length < 2) return list;
  return sortedByAge(list);
}

/**
 * telemetry.go: applicableTelemetries for a waypoint: the root namespace's
 * namespace-wide Telemetry, then the waypoint namespace's, then (for a
 * service in another namespace) that namespace's, then the targeted ones of
 * the last namespace considered that attach to the waypoint or the service.
 */
export function applicableTelemetry(ctx: WaypointContext, svc?: Service): ApplicableTelemetry {
  const out: ApplicableTelemetry = { key: '', logging: [], tracing: [], metrics: [], objects: [] };
  const keys: string[] = [];
  const add = (t: Telemetry) => {
    keys.push(`${t.metadata.namespace}/${t.metadata.name}`);
    out.objects.push(t);
    if ((t.spec?.accessLogging ?? []).length > 0) out.logging.push(t.spec?.accessLogging ?? []);
    out.tracing.push(...(t.spec?.tracing ?? []));
    out.metrics.push(...(t.spec?.metrics ?? []));
  };
  const root = ctx.opts.rootNamespace;
  const wide = (ns: string) => {
    const t = telemetriesIn(ctx, ns).find(isNamespaceWide);
    if (t) add(t);
    keys.push('|');
  };
  wide(root);
  let ns = ctx.waypoint.namespace;
  if (ns !== root) wide(ns);
  if (svc && svc.metadata.namespace !== ns) {
    ns = svc.metadata.namespace;
    wide(ns);
  }
  for (const t of telemetriesIn(ctx, ns)) {
    if (isNamespaceWide(t)) continue;
    // policy_matcher.go: ShouldAttachPolicy — a waypoint honours targetRefs to
    // its Gateway (or class) and to the service the chain is for.
    const attaches = attachmentsOn(ctx, t).some(
      (a) => a.scope === 'waypoint' || (svc && a.namespace === svc.metadata.namespace && a.name === svc.metadata.name),
    );
    if (attaches) add(t);
  }
  out.key = keys.join(',');
  return out;
}

const serverSide = (match: { mode?: string } | undefined) =>
  !match?.mode || match.mode === 'CLIENT_AND_SERVER' || match.mode === 'SERVER';

const providerNames = (ps: { name?: string }[] | undefined) => (ps ?? []).map((p) => p.name ?? '');

export interface LoggingSpec {
  disabled: boolean;
  filter?: string;
}

/**
 * telemetry.go: mergeLogs for the SERVER mode: the innermost level that names
 * providers decides which are in scope; each in-scope provider takes the
 * filter last written for it, or is disabled by a later entry.
 */
export function mergeLogs(levels: AccessLogging[][], defaults: readonly string[]): Map<string, LoggingSpec> {
  const providers = new Map<string, LoggingSpec>();
  if (levels.length === 0) {
    for (const d of defaults) providers.set(d, { disabled: false });
    return providers;
  }
  let inScope: string[] = [...defaults];
  const filters = new Map<string, LoggingSpec>();
  for (const level of levels) {
    const names = new Set<string>();
    for (const entry of level) {
      if (!serverSide(entry.match)) continue;
      for (const p of providerNames(entry.providers)) {
        names.add(p);
        filters.set(p, {
          disabled: false,
          ...(entry.filter?.expression !== undefined ? { filter: entry.filter.expression } : {}),
        });
      }
    }
    if (names.size > 0) inScope = [...names];
  }
  const scope = new Set(inScope);
  let parent: string[] = [...defaults];
  for (const level of levels) {
    for (const entry of level) {
      let names = providerNames(entry.providers);
      if (names.length === 0) names = parent;
      parent = names;
      for (const p of names) {
        if (!scope.has(p) || !serverSide(entry.match)) continue;
        providers.set(p, entry.disabled === true ? { disabled: true } : (filters.get(p) ?? { disabled: false }));
      }
    }
  }
  return providers;
}

/** The server-side tracing settings after merging (telemetry.go: Tracing, TracingSpec). */
export interface TracingSpec {
  /** The provider name to use; undefined: none (tracing then off). */
  provider?: string;
  disabled: boolean;
  randomSamplingPercentage?: number;
  customTags?: NonNullable<Tracing['customTags']>;
  useRequestIdForTraceSampling: boolean;
  enableIstioTags: boolean;
}

/**
 * telemetry.go: Tracing — undefined when neither a Telemetry nor the mesh's
 * default providers configure tracing (the mesh config's tracing applies).
 * Later entries override earlier ones field by field; custom tags replace
 * the whole map. `exists` says whether a provider name is known.
 */
export function mergeTracing(
  tracing: readonly Tracing[],
  defaults: readonly string[],
  exists: (name: string) => boolean,
): TracingSpec | undefined {
  if (tracing.length === 0 && defaults.length === 0) return undefined;
  const spec: TracingSpec = { disabled: false, useRequestIdForTraceSampling: true, enableIstioTags: true };
  const fetch = (n: string) => (exists(n) ? n : undefined);
  if (defaults[0] !== undefined) spec.provider = fetch(defaults[0]);
  for (const t of tracing) {
    if (!serverSide(t.match)) continue;
    const names = providerNames(t.providers);
    if (names[0] !== undefined) spec.provider = fetch(names[0]);
    if (t.disableSpanReporting !== undefined) spec.disabled = t.disableSpanReporting;
    if (t.customTags !== undefined) spec.customTags = t.customTags;
    if (t.randomSamplingPercentage !== undefined) spec.randomSamplingPercentage = t.randomSamplingPercentage;
    if (t.useRequestIdForTraceSampling !== undefined)
      spec.useRequestIdForTraceSampling = t.useRequestIdForTraceSampling;
    if (t.enableIstioTags !== undefined) spec.enableIstioTags = t.enableIstioTags;
  }
  if (spec.provider === undefined) spec.disabled = true;
  return spec;
}

/** Istio's standard metrics, by Telemetry enum name. */
export const ISTIO_METRICS = [
  'GRPC_REQUEST_MESSAGES',
  'GRPC_RESPONSE_MESSAGES',
  'REQUEST_COUNT',
  'REQUEST_DURATION',
  'REQUEST_SIZE',
  'RESPONSE_SIZE',
  'TCP_CLOSED_CONNECTIONS',
  'TCP_OPENED_CONNECTIONS',
  'TCP_RECEIVED_BYTES',
  'TCP_SENT_BYTES',
] as const;

export interface MetricOverride {
  name: string;
  disabled: boolean;
  /** Sorted by name; a tag without value is removed. */
  tags: { name: string; value?: string }[];
}

export interface MetricsSpec {
  /** Server-side metrics dropped entirely (no filter). */
  disabled: boolean;
  overrides: MetricOverride[];
  reportingInterval?: string;
}

/**
 * telemetry.go: mergeMetrics, SERVER side: per provider in scope, overrides
 * applied in order (later wins per metric and tag); disabling ALL_METRICS
 * drops the provider's filter until a later override names a metric again.
 */
export function mergeMetrics(metrics: readonly Metrics[], defaults: readonly string[]): Map<string, MetricsSpec> {
  type Acc = Map<string, { disabled?: boolean; tags: Map<string, { operation?: string; value?: string }> }>;
  const providers = new Map<string, Acc>();
  if (metrics.length === 0) for (const d of defaults) providers.set(d, new Map());
  let scopeNames: string[] = [...defaults];
  for (const m of metrics) {
    const n = providerNames(m.providers);
    if (n.length > 0) scopeNames = n;
  }
  const scope = new Set(scopeNames);
  let parent: string[] = [...defaults];
  const allDisabled = new Set<string>();
  const intervals = new Map<string, string>();
  for (const m of metrics) {
    let names = providerNames(m.providers);
    if (names.length === 0) names = parent;
    parent = names;
    for (const p of names) {
      if (!scope.has(p)) continue;
      if (m.reportingInterval !== undefined) intervals.set(p, m.reportingInterval);
      let acc = providers.get(p);
      if (!acc) providers.set(p, (acc = new Map()));
      for (const o of m.overrides ?? []) {
        const match = o.match;
        const all = match?.customMetric === undefined && telemetryMetric(match) === 'ALL_METRICS';
        const server = serverSide(match);
        if (all && o.disabled === true) {
          if (server) allDisabled.add(p);
          continue;
        }
        if (!server) continue;
        allDisabled.delete(p);
        const names =
          match?.customMetric !== undefined ? [match.customMetric] : all ? ISTIO_METRICS : [match?.metric ?? ''];
        for (const name of names) {
          let e = acc.get(name);
          if (!e) acc.set(name, (e = { tags: new Map() }));
          if (o.disabled !== undefined) e.disabled = o.disabled;
          for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) e.tags.set(tag, to);
        }
      }
    }
  }
  const out = new Map<string, MetricsSpec>();
  for (const [p, acc] of providers) {
    const overrides: MetricOverride[] = [...acc.entries()]
      .map(([name, e]) => ({
        name,
        disabled: e.disabled === true,
        tags: [...e.tags.entries()]
          .map(([tag, to]) => (to.operation === 'REMOVE' ? { name: tag } : { name: tag, value: to.value ?? '' }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const interval = intervals.get(p);
    out.set(p, { disabled: allDisabled.has(p), overrides, ...(interval ? { reportingInterval: interval } : {}) });
  }
  return out;
}
