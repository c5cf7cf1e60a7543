import type { WaypointContext } from '../context';
import { ruleConfig } from './destination-ir';
import { portPolicy, type DestinationRuleIndex } from './destination-rules';
import type { OutboundClusterIR } from '../ir';
import { localityLbFor, localityWeighted, trafficDistributionOf, type EndpointWorkload } from './locality-lb';
import { serviceEntryWorkloads } from './service-entry-destination';
import { endpointsOf } from '../../ambient';
import { readObject } from '../../model';
import { waypointProxyLabels } from './waypoint-labels';
import { outboundSubsets } from './outbound-subsets';

// cluster.go: buildOutboundClusters — a waypoint's `outbound|<port>||<host>`
// clusters (route backends and extension services it does not serve) take
// the host's DestinationRule as istiod's applyDestinationRule /
// applyTrafficPolicy give it. Unlike the inbound-vip clusters, they are built
// in the outbound direction, so a rule in the waypoint's namespace whose
// workloadSelector matches the waypoint's labels wins over the catch-all.

/** The namespace a backend's service lives in: the ServiceEntry's, or the `<name>.<ns>.svc…` hostname's. */
function serviceNamespace(o: OutboundClusterIR): string {
  return o.serviceEntry?.namespace ?? o.hostname.split('.')[1] ?? '';
}

/**
 * Each outbound cluster with the port-level policy of the rule istiod looks
 * up for it (sidecar.go: SidecarScope.DestinationRule, outbound, from the
 * waypoint's namespace with the waypoint's proxy labels);
 * one without a rule or policy is returned as it was.
 */
export function withOutboundPolicies(
  ctx: WaypointContext,
  rules: DestinationRuleIndex,
  outbound: readonly OutboundClusterIR[],
): OutboundClusterIR[] {
  let labels: Record<string, string> | undefined;
  const proxy = { labels: () => (labels ??= waypointProxyLabels(ctx)) };
  return outbound.flatMap((o) => {
    const rule = rules.lookup(ctx.waypoint.namespace, o.hostname, serviceNamespace(o), proxy);
    const policy = rule && portPolicy(rule.trafficPolicy, o.port).policy;
    const td = backendDistribution(ctx, o);
    let pods: (EndpointWorkload | undefined)[] | undefined;
    const podsOf = () => (pods ??= backendPods(ctx, o));
    const lb = localityLbFor(ctx, policy, o.endpoints, podsOf, td);
    const weighted = localityWeighted(ctx, policy, td) ? { localityWeighted: true as const } : {};
    const subsets = rule ? outboundSubsets(ctx, o, rule, podsOf, td) : [];
    // No rule's policy: the Service's trafficDistribution or the mesh config may still apply.
    if (!rule || !policy)
      return [
        lb || weighted.localityWeighted ? { ...o, ...(lb ? { localityLb: lb } : {}), ...weighted } : o,
        ...subsets,
      ];
    return [
      { ...o, destination: { policy, config: ruleConfig(rule), ...(lb ? { localityLb: lb } : {}), ...weighted } },
      ...subsets,
    ];
  });
}

/** service.go: GetTrafficDistribution of a Service backend; none for a ServiceEntry host. */
function backendDistribution(ctx: WaypointContext, o: OutboundClusterIR): string | undefined {
  if (o.serviceEntry) return undefined;
  const [name = '', namespace = ''] = o.hostname.split('.');
  const svc = readObject(ctx, 'Service', namespace, name);
  return svc ? trafficDistributionOf(ctx, svc) : undefined;
}

/**
 * The pod behind each endpoint of a Service backend, in the order its
 * endpoints were built (services.ts: endpointIRs); for a ServiceEntry host
 * the labels of each of its endpoints (service-entry-destination.ts).
 */
function backendPods(ctx: WaypointContext, o: OutboundClusterIR): (EndpointWorkload | undefined)[] {
  if (o.serviceEntry) return serviceEntryWorkloads(ctx, o);
  const [name = '', namespace = ''] = o.hostname.split('.');
  const svc = readObject(ctx, 'Service', namespace, name);
  const port = svc?.spec?.ports?.find((p) => p.port === o.port);
  return svc && port ? endpointsOf(svc, port, ctx).map((e) => e.pod) : [];
}
