import type { WaypointContext } from './context';
import { ruleConfig } from './destination-ir';
import { portPolicy, type DestinationRuleIndex } from './destination-rules';
import type { OutboundClusterIR } from './ir';

// cluster.go: buildOutboundClusters — a waypoint's `outbound|<port>||<host>`
// clusters (route backends and extension services it does not serve) take
// the host's DestinationRule as istiod's applyDestinationRule /
// applyTrafficPolicy give it, the same policy the inbound-vip clusters get.

/** The namespace a backend's service lives in: the ServiceEntry's, or the `<name>.<ns>.svc…` hostname's. */
function serviceNamespace(o: OutboundClusterIR): string {
  return o.serviceEntry?.namespace ?? o.hostname.split('.')[1] ?? '';
}

/**
 * Each outbound cluster with the port-level policy of the rule istiod looks
 * up for it (sidecar.go: DestinationRule, from the waypoint's namespace);
 * one without a rule or policy is returned as it was.
 */
export function withOutboundPolicies(
  ctx: WaypointContext,
  rules: DestinationRuleIndex,
  outbound: readonly OutboundClusterIR[],
): OutboundClusterIR[] {
  return outbound.map((o) => {
    const rule = rules.lookup(ctx.waypoint.namespace, o.hostname, serviceNamespace(o));
    const policy = rule && portPolicy(rule.trafficPolicy, o.port).policy;
    return rule && policy ? { ...o, destination: { policy, config: ruleConfig(rule) } } : o;
  });
}
