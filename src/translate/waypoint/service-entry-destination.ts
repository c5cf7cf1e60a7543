import { readObject, type ServiceEntry, type TrafficPolicy } from '../../model';
import type { WaypointContext } from '../context';
import { ruleConfig } from './destination-ir';
import { portPolicy, subsetPolicy, type MergedRule } from './destination-rules';
import type { DestinationIR, EndpointIR, OutboundClusterIR, ServiceEntryResolution } from '../ir';
import { localityLbFor, localityWeighted, withoutRanks, type EndpointWorkload, type LocalityLbIR } from './locality-lb';
import { resolutionOf, serviceEntryEndpoints, type ServiceEntryPort } from './service-entries';

// A DestinationRule on the chains a waypoint serves for a ServiceEntry host,
// as on a Service's (cluster_waypoint.go: buildWaypointInboundVIP looks the
// rule up for every service it builds, ServiceEntry ones included), and the
// locality priorities of the entry's endpoints (loadbalancer.go:
// ApplyLocalityLoadBalancer runs on any cluster's endpoints; the entry's
// endpoint `locality`, a WorkloadEntry's `locality` or a selected pod's node
// place them, their labels feed failoverPriority).

/** The endpoints of one entry port with each one's labels (same order). */
export function serviceEntryPortEndpoints(
  ctx: WaypointContext,
  se: ServiceEntry,
  host: string,
  port: ServiceEntryPort,
): { endpoints: EndpointIR[]; workloads: EndpointWorkload[] } {
  const workloads: EndpointWorkload[] = [];
  return { endpoints: serviceEntryEndpoints(ctx, se, host, port, workloads), workloads };
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIP for an entry's host — the rule
 * (the caller's inbound lookup from the waypoint's namespace, the entry's
 * namespace as the service's), its port policy, a cluster per subset
 * whatever the resolution, and the locality plan of the endpoints.
 *
 * STATIC entries are EDS: a subset's cluster has the endpoints whose labels
 * it selects (endpoint_builder.go: BuildClusterLoadAssignment). DNS clusters
 * carry their endpoints, built by buildWaypointInboundVIPCluster through
 * NewCDSEndpointBuilder without the rule, so no subset labels filter them:
 * every subset's cluster lists all the port's endpoints. Their locality plan
 * is applied to that inline assignment (loadbalancer.go:
 * LocalityLBSettings.ApplyToCluster), but without the wrapped endpoints
 * failoverPriority ranks nothing there (applyFailoverPriorities returns at
 * once); `distribute` and `failover` apply. DYNAMIC_DNS and NONE clusters
 * have no endpoints to shape.
 */
export function serviceEntryDestination(
  ctx: WaypointContext,
  rule: MergedRule,
  se: ServiceEntry,
  port: number,
  endpoints: readonly EndpointIR[],
  workloads: readonly EndpointWorkload[],
): DestinationIR | undefined {
  const resolution = resolutionOf(se);
  const eds = resolution === 'STATIC';
  const plan = (p: TrafficPolicy | undefined, eps: readonly EndpointIR[], wls: readonly EndpointWorkload[]) =>
    planFor(ctx, resolution, p, eps, wls);
  const policy = portPolicy(rule.trafficPolicy, port).policy;
  const subsets = [];
  for (const s of rule.subsets) {
    const want = Object.entries(s.labels ?? {});
    const keep = (i: number) => {
      if (!eds) return true;
      const labels = workloads[i]?.metadata.labels ?? {};
      return want.every(([k, v]) => labels[k] === v);
    };
    const picked = endpoints.filter((_, i) => keep(i));
    const sp = subsetPolicy(rule.trafficPolicy, s.trafficPolicy, port);
    const lb = plan(
      sp,
      picked,
      workloads.filter((_, i) => keep(i)),
    );
    subsets.push({
      name: s.name,
      endpoints: picked,
      ...(sp ? { policy: sp } : {}),
      ...(lb ? { localityLb: lb } : {}),
      ...(localityWeighted(ctx, sp, undefined) ? { localityWeighted: true as const } : {}),
    });
  }
  if (!policy && subsets.length === 0) return undefined;
  const lb = plan(policy, endpoints, workloads);
  return {
    config: ruleConfig(rule),
    subsets,
    ...(policy ? { policy } : {}),
    ...(lb ? { localityLb: lb } : {}),
    ...(localityWeighted(ctx, policy, undefined) ? { localityWeighted: true as const } : {}),
  };
}

/** The locality plan of an entry's cluster by resolution (see above). */
function planFor(
  ctx: WaypointContext,
  resolution: ServiceEntryResolution,
  policy: TrafficPolicy | undefined,
  endpoints: readonly EndpointIR[],
  workloads: readonly EndpointWorkload[],
): LocalityLbIR | undefined {
  if (resolution === 'STATIC') return localityLbFor(ctx, policy, endpoints, workloads);
  if (resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN')
    return withoutRanks(localityLbFor(ctx, policy, endpoints, []));
  return undefined;
}

/**
 * The locality plan and cluster setting of an entry port no rule's policy
 * applies to: the mesh config's setting (loadbalancer.go:
 * GetEffectiveLbSetting with no DestinationRule), as for a Service's port
 * (destination-ir.ts: portLocalityLb). A DYNAMIC_DNS cluster takes none
 * (buildWaypointInboundVIPCluster skips applyLoadBalancer for it).
 */
export function serviceEntryLocality(
  ctx: WaypointContext,
  se: ServiceEntry,
  endpoints: readonly EndpointIR[],
  workloads: readonly EndpointWorkload[],
): { localityLb?: LocalityLbIR; localityWeighted?: true } {
  const resolution = resolutionOf(se);
  if (resolution === 'DYNAMIC_DNS') return {};
  const lb = planFor(ctx, resolution, undefined, endpoints, workloads);
  return {
    ...(lb ? { localityLb: lb } : {}),
    ...(localityWeighted(ctx, undefined, undefined) ? { localityWeighted: true as const } : {}),
  };
}

/** The labels of each endpoint of an outbound ServiceEntry cluster, in the order its endpoints were built. */
export function serviceEntryWorkloads(ctx: WaypointContext, o: OutboundClusterIR): EndpointWorkload[] {
  const ns = o.serviceEntry?.namespace ?? '';
  const name = o.serviceEntry?.entry;
  const se = name === undefined ? undefined : readObject(ctx, 'ServiceEntry', ns, name);
  const port = se?.spec?.ports?.find((p) => p.number === o.port);
  return se && port ? serviceEntryPortEndpoints(ctx, se, o.hostname, port).workloads : [];
}
