import {
  readSelected,
  LABEL,
  type LoadBalancerSettings,
  type LocalityLbSetting,
  type Service,
  type TrafficPolicy,
  readObject,
} from '../../model';
import type { WaypointContext } from '../context';
import type { EndpointIR } from '../ir';
import { podLocality } from '../locality';
import { meshLocalityLb, type MeshLocalityLb } from '../mesh-config';
import { fullLocality, splitPlace } from '../place-key';
import { memoRead, type ReadValue } from '../reads';

// Endpoint priorities and weights by the waypoint's own locality
// (loadbalancer/loadbalancer.go: ApplyLocalityLoadBalancer, applyLocalityWeights,
// applyLocalityFailover, applyFailoverPriorities; endpoint_builder.go:
// BuildClusterLoadAssignment). The IR carries the waypoint's locality and,
// for failoverPriority, each endpoint's rank; endpoints.ts applies them.

export interface Locality {
  region: string;
  zone: string;
  subzone: string;
}

/** What one EDS cluster's assignment is reshaped by. */
export interface LocalityLbIR {
  proxy: Locality;
  /** applyLocalityWeights: the `to` weights of the first `distribute` entry whose `from` matches the waypoint. */
  distribute?: [string, number][];
  /** applyFailoverPriorityPerLocality: each endpoint's rank by `ip:port` (0 = matches every label). */
  ranks?: Record<string, number>;
  /** applyLocalityFailover with these region failovers (possibly none), after the ranks. */
  localityFailover?: { from: string; to: string }[];
}

const REGION = 'topology.kubernetes.io/region';
const ZONE = 'topology.kubernetes.io/zone';
const SUBZONE = 'topology.istio.io/subzone';
const HOSTNAME = 'kubernetes.io/hostname';
const CLUSTER = 'topology.istio.io/cluster';
const NETWORK = 'topology.istio.io/network';

const splitLocality = (l: string | undefined): Locality => {
  const [region = '', zone = '', subzone = ''] = (l ?? '').split('/');
  return { region, zone, subzone };
};

/** label.go: AugmentLabels — a workload's labels plus its topology, cluster and node. */
/**
 * What failoverPriority reads of an endpoint's workload: its labels and node.
 * A Pod is one; a ServiceEntry endpoint or WorkloadEntry gives its labels.
 */
export interface EndpointWorkload {
  metadata: { labels?: Record<string, string> };
  spec?: { nodeName?: string };
}

function augmented(pod: EndpointWorkload, locality: string | undefined, clusterId: string): Record<string, string> {
  const out = { ...(pod.metadata.labels ?? {}) };
  const l = splitLocality(locality);
  if (l.region) out[REGION] = l.region;
  if (l.zone) out[ZONE] = l.zone;
  if (l.subzone) out[SUBZONE] = l.subzone;
  if (clusterId) out[CLUSTER] = clusterId;
  if (pod.spec?.nodeName) out[HOSTNAME] = pod.spec.nodeName;
  return out;
}

export interface WaypointPlace {
  locality: Locality;
  labels: Record<string, string>;
}

/**
 * The proxy's locality and labels that endpoints are ranked against, from
 * the waypoint's pods (the Deployment's pods carry the gateway-name label).
 * istiod reads them per connected proxy (pilot/pkg/xds/ads.go:
 * setTopologyLabels, localityFromProxyLabels). The shared translation
 * applies only when every running pod of the waypoint is in one locality
 * (labels: those all its pods share); a translation for one place of a
 * waypoint whose pods span several (ctx.locality: a locality and label
 * values, place-key.ts) takes that locality and the labels its pods there
 * share, the place's label values among them. Undefined otherwise: the
 * assignment is left as it is.
 */
export function waypointPlace(ctx: WaypointContext): WaypointPlace | undefined {
  const { namespace, name } = ctx.waypoint;
  const pods = readSelected(
    ctx,
    'Pod',
    namespace,
    (p) =>
      p.metadata.labels?.[LABEL.gatewayName] === name &&
      p.status?.phase !== 'Succeeded' &&
      p.status?.phase !== 'Failed',
  );
  const place = ctx.locality === undefined ? undefined : splitPlace(ctx.locality);
  const only = place?.locality;
  const want = Object.entries(place?.labels ?? {});
  if (pods.length === 0 && only === undefined) return undefined;
  let locality: string | undefined;
  let labels: Record<string, string> | undefined;
  // Each pod is read as the loop reaches it: one that returns early has read only those before.
  for (const p of pods) {
    const l = podLocality(p, ctx) ?? '';
    const mine = augmented(p, l, ctx.opts.clusterId);
    if (only !== undefined) {
      if (fullLocality(l) !== only || want.some(([k, v]) => (mine[k] ?? '') !== v)) continue;
    } else if (locality !== undefined && l !== locality) return undefined;
    locality = l;
    labels = labels ? Object.fromEntries(Object.entries(labels).filter(([k, v]) => mine[k] === v)) : mine;
  }
  // A proxy whose pod is not (yet) seen still has its place (from its node).
  if (only !== undefined && labels === undefined)
    labels = augmented({ metadata: { labels: withoutEmpty(place?.labels ?? {}) } }, only, ctx.opts.clusterId);
  return { locality: splitLocality(only ?? locality), labels: labels ?? {} };
}

/** A place's label values without the empty ones (a pod without the label). */
function withoutEmpty(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

/** util.go: LocalityMatch — `region[/zone[/subzone]]`, `*` matching anything. */
export function localityMatch(proxy: Locality, rule: string): boolean {
  const [region = '', zone = '', subzone = ''] = rule.split('/');
  return (
    (region === '*' || proxy.region === region) &&
    (zone === '*' || zone === '' || proxy.zone === zone) &&
    (subzone === '*' || subzone === '' || proxy.subzone === subzone)
  );
}

/**
 * loadbalancer.go: applyFailoverPriorityPerLocality — the rank of one
 * endpoint: 0 when it matches the waypoint on every label, else the count of
 * labels from the first mismatch on; a `label=value` entry compares with the
 * value given (priorityLabelOverrides). A first `topology.istio.io/network`
 * label that differs is skipped and pushes the endpoint below every rank.
 */
function rank(proxy: Record<string, string>, endpoint: Record<string, string>, priorities: readonly string[]): number {
  const n = priorities.length;
  const withNetwork = n > 0 && priorities[0] === NETWORK;
  let adjust = 0;
  for (let j = 0; j < n; j++) {
    const parts = (priorities[j] ?? '').split('=');
    const label = parts[0] ?? '';
    const want = parts.length === 2 ? (parts[1] ?? '') : proxy[label];
    if (want === endpoint[label]) continue;
    if (j === 0 && withNetwork) {
      adjust = n;
      continue;
    }
    return n - j + adjust;
  }
  return adjust;
}

// Per translation; a hit replays the reads, so each served service records them (reads.ts: memoRead).
const places = new WeakMap<WaypointContext, ReadValue<WaypointPlace | null>>();
const meshes = new WeakMap<WaypointContext, ReadValue<MeshLocalityLb>>();

/** The failover labels a Service's `spec.trafficDistribution` stands for. */
const SAME_ZONE = [NETWORK, REGION, ZONE];
const SAME_NODE = [NETWORK, REGION, ZONE, SUBZONE, HOSTNAME];

const ANNOTATION = 'networking.istio.io/traffic-distribution';

/** The names istiod reads in trafficDistribution, folded to one. */
function distributionName(v: string | undefined, caseless: boolean): string | undefined {
  const want = caseless ? v?.toLowerCase() : v;
  for (const name of ['PreferClose', 'PreferSameZone', 'PreferSameNode'])
    if (want === (caseless ? name.toLowerCase() : name)) return name === 'PreferClose' ? 'PreferSameZone' : name;
  return undefined;
}

/**
 * service.go: GetTrafficDistribution — the Service's spec field, else its
 * annotation, else its namespace's annotation (annotations caseless; an
 * unknown annotation value means no preference and stops the search).
 */
export function trafficDistributionOf(ctx: WaypointContext, svc: Service): string | undefined {
  const spec = distributionName(svc.spec?.trafficDistribution, false);
  if (spec) return spec;
  const own = svc.metadata.annotations?.[ANNOTATION];
  if (own) return distributionName(own, true);
  const ns = svc.metadata.namespace;
  const nsValue = readObject(ctx, 'Namespace', undefined, ns)?.metadata.annotations?.[ANNOTATION];
  return nsValue ? distributionName(nsValue, true) : undefined;
}

/** The setting that applies and whether failover needs no outlier detection. */
export interface EffectiveLocalityLb {
  setting: LocalityLbSetting;
  force: boolean;
}

/**
 * loadbalancer.go: GetEffectiveLbSetting — the rule's localityLbSetting
 * (`enabled: false` turns it off, whatever comes after; a zone-aware setting
 * in the rule does too, as below for the mesh's), else the Service's
 * trafficDistribution (PreferSameZone, PreferClose read as it: network, region, zone;
 * PreferSameNode: down to subzone and node, both with failover forced on),
 * else the mesh config's: none when it sets zoneAwareLbSetting (the EDS
 * builder skips zone-aware settings for a waypoint, endpoint_builder.go:
 * BuildClusterLoadAssignment) or an `enabled: false` localityLbSetting.
 */
export function effectiveLocalityLb(
  lb: LoadBalancerSettings | undefined,
  trafficDistribution: string | undefined,
  mesh: MeshLocalityLb,
): EffectiveLocalityLb | undefined {
  // A zone-aware setting outranks the rule's locality one and leaves a waypoint without either.
  if (lb?.zoneAwareLbSetting) return undefined;
  const rule = lb?.localityLbSetting;
  if (rule) return rule.enabled === false ? undefined : { setting: rule, force: false };
  if (trafficDistribution === 'PreferSameZone')
    return { setting: { enabled: true, failoverPriority: SAME_ZONE }, force: true };
  if (trafficDistribution === 'PreferSameNode')
    return { setting: { enabled: true, failoverPriority: SAME_NODE }, force: true };
  if (mesh.zoneAware || !mesh.setting || mesh.setting.enabled === false) return undefined;
  return { setting: mesh.setting, force: false };
}

function effectiveFor(
  ctx: WaypointContext,
  policy: TrafficPolicy | undefined,
  trafficDistribution: string | undefined,
): EffectiveLocalityLb | undefined {
  const mesh = memoRead(meshes, ctx, ctx.reads, () => meshLocalityLb(ctx.world, ctx.opts.rootNamespace, ctx.reads));
  return effectiveLocalityLb(policy?.loadBalancer, trafficDistribution, mesh);
}

/**
 * loadbalancer.go: LocalityLBSettings.ApplyToCluster — whether the cluster
 * gets locality-weighted balancing: weights are distributed, or failover
 * entries or priorities are set and failover can happen (outlier detection,
 * or forced by trafficDistribution).
 */
export function localityWeighted(
  ctx: WaypointContext,
  policy: TrafficPolicy | undefined,
  trafficDistribution: string | undefined,
): boolean {
  const effective = effectiveFor(ctx, policy, trafficDistribution);
  if (!effective) return false;
  const { setting, force } = effective;
  const failover = setting.failover !== undefined || setting.failoverPriority !== undefined;
  return setting.distribute !== undefined || ((force || policy?.outlierDetection !== undefined) && failover);
}

/**
 * endpoint_builder.go: BuildClusterLoadAssignment with loadbalancer.go:
 * GetEffectiveLbSetting and ApplyLocalityLoadBalancer — the plan for one
 * cluster's endpoints under `policy` (the port's or subset's, if a rule
 * applies) and the Service's trafficDistribution: `distribute` always,
 * failover with outlier detection or when forced (LocalityLBSettings.Force).
 * `pods[i]` is the workload behind `endpoints[i]` (a function: read only
 * when ranks are computed). The waypoint's pods are read only when a plan
 * may come of it.
 */
export function localityLbFor(
  ctx: WaypointContext,
  policy: TrafficPolicy | undefined,
  endpoints: readonly EndpointIR[],
  pods: readonly (EndpointWorkload | undefined)[] | (() => readonly (EndpointWorkload | undefined)[]),
  trafficDistribution?: string,
): LocalityLbIR | undefined {
  const effective = effectiveFor(ctx, policy, trafficDistribution);
  if (!effective) return undefined;
  const { setting, force } = effective;
  if (setting.distribute === undefined && !policy?.outlierDetection && !force) return undefined;
  const place = memoRead(places, ctx, ctx.reads, () => waypointPlace(ctx) ?? null);
  if (!place) return undefined;
  const proxy = place.locality;
  if (setting.distribute !== undefined) {
    const hit = setting.distribute.find((d) => localityMatch(proxy, d.from ?? ''));
    return hit ? { proxy, distribute: Object.entries(hit.to ?? {}) } : undefined;
  }
  const failover = (setting.failover ?? []).map((f) => ({ from: f.from ?? '', to: f.to ?? '' }));
  const priorities = setting.failoverPriority ?? [];
  if (priorities.length === 0) return { proxy, localityFailover: failover };
  const withFailover = failover.length > 0 ? { localityFailover: failover } : {};
  // applyFailoverPriorities does nothing for a proxy without labels.
  if (Object.keys(place.labels).length === 0) return failover.length > 0 ? { proxy, ...withFailover } : undefined;
  const ranks: Record<string, number> = {};
  const workloads = typeof pods === 'function' ? pods() : pods;
  endpoints.forEach((e, i) => {
    const pod = workloads[i];
    ranks[`${e.ip}:${e.port}`] = rank(
      place.labels,
      pod ? augmented(pod, e.locality, ctx.opts.clusterId) : {},
      priorities,
    );
  });
  return { proxy, ranks, ...withFailover };
}

/**
 * A plan for a DNS cluster's inline endpoints when the cluster has no
 * wrapped endpoints (loadbalancer.go: applyFailoverPriorities returns at
 * once): failoverPriority ranks dropped; none if nothing is left.
 */
export function withoutRanks(plan: LocalityLbIR | undefined): LocalityLbIR | undefined {
  if (!plan?.ranks) return plan;
  const { ranks: _ranks, ...rest } = plan;
  return rest.distribute || rest.localityFailover ? rest : undefined;
}
