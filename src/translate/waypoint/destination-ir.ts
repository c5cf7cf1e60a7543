import { endpointsOf } from '../../ambient';
import type { Service, ServicePort } from '../../model';
import type { WaypointContext } from '../context';
import { backendPolicyRules } from '../policy/backend-policies';
import { DestinationRuleIndex, portPolicy, subsetPolicy, userRules, type MergedRule } from './destination-rules';
import type { DestinationIR, EndpointIR } from '../ir';
import { meshRuleExportTo } from '../mesh-config';
import { configPath } from '../names';
import { hostnameOf } from '../services';
import { localityLbFor, localityWeighted, trafficDistributionOf } from './locality-lb';
import type { LocalityLbIR } from './locality-lb';

/**
 * The rule index for one waypoint's translation: user rules and rules made
 * from backend policies. User rules are read by the hosts looked up (see
 * DestinationRuleIndex), so editing one rule re-translates the parts of the
 * services its host names, not all its namespace's.
 */
export function destinationIndex(ctx: WaypointContext): DestinationRuleIndex {
  return new DestinationRuleIndex(
    (ns) => userRules(ctx.world, ns, ctx.opts.domain),
    ctx.opts.rootNamespace,
    ctx.reads,
    ctx.opts.domain,
    meshRuleExportTo(ctx.world, ctx.opts.rootNamespace, ctx.reads).includes('.'),
    (ns) => backendPolicyRules(ctx, ns),
  );
}

/** The rule a waypoint applies to a service, looked up from the waypoint's own namespace. */
export function ruleFor(ctx: WaypointContext, index: DestinationRuleIndex, svc: Service): MergedRule | undefined {
  const ns = svc.metadata.namespace;
  return index.lookup(ctx.waypoint.namespace, hostnameOf(svc, ctx.opts.domain), ns);
}

/** util.go: AddConfigInfoMetadata — the path of the rule (a backend policy's rule has istiod's generated name). */
export function ruleConfig(rule: MergedRule): string {
  return configPath('networking.istio.io', 'v1', 'destination-rule', rule.namespace, rule.name);
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIP — the rule's policy for this
 * port, and each subset with its merged policy and its endpoints (those
 * whose pod carries every label of the subset).
 */
export function destinationFor(
  ctx: WaypointContext,
  rule: MergedRule | undefined,
  svc: Service,
  port: ServicePort,
  endpoints: readonly EndpointIR[],
): DestinationIR | undefined {
  if (!rule) return undefined;
  const td = trafficDistributionOf(ctx, svc);
  const policy = portPolicy(rule.trafficPolicy, port.port).policy;
  const subsets = [];
  // endpointIRs builds one EndpointIR per service endpoint, in this order.
  const raw = endpointsOf(svc, port, ctx);
  const pods = raw.map((r) => r.pod);
  for (const s of rule.subsets) {
    const want = Object.entries(s.labels ?? {});
    const keep = (i: number) => {
      const labels = raw[i]?.pod?.metadata.labels;
      return labels !== undefined && want.every(([k, v]) => labels[k] === v);
    };
    const picked = endpoints.filter((_, i) => keep(i));
    const sp = subsetPolicy(rule.trafficPolicy, s.trafficPolicy, port.port);
    const lb = localityLbFor(
      ctx,
      sp,
      picked,
      pods.filter((_, i) => keep(i)),
      td,
    );
    subsets.push({
      name: s.name,
      endpoints: picked,
      ...(sp ? { policy: sp } : {}),
      ...(lb ? { localityLb: lb } : {}),
      ...(localityWeighted(ctx, sp, td) ? { localityWeighted: true as const } : {}),
    });
  }
  if (!policy && subsets.length === 0) return undefined;
  const lb = localityLbFor(ctx, policy, endpoints, pods, td);
  return {
    config: ruleConfig(rule),
    subsets,
    ...(policy ? { policy } : {}),
    ...(lb ? { localityLb: lb } : {}),
    ...(localityWeighted(ctx, policy, td) ? { localityWeighted: true as const } : {}),
  };
}

/**
 * The locality plan and cluster setting of a port no rule applies to: the Service's
 * trafficDistribution or the mesh config's setting (loadbalancer.go:
 * GetEffectiveLbSetting with no DestinationRule).
 */
export function portLocalityLb(
  ctx: WaypointContext,
  svc: Service,
  port: ServicePort,
  endpoints: readonly EndpointIR[],
): { localityLb?: LocalityLbIR; localityWeighted?: true } {
  const pods = endpointsOf(svc, port, ctx).map((r) => r.pod);
  const td = trafficDistributionOf(ctx, svc);
  const lb = localityLbFor(ctx, undefined, endpoints, pods, td);
  return {
    ...(lb ? { localityLb: lb } : {}),
    ...(localityWeighted(ctx, undefined, td) ? { localityWeighted: true } : {}),
  };
}
