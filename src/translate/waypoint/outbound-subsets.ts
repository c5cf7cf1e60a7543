import type { WaypointContext } from '../context';
import { ruleConfig } from './destination-ir';
import { subsetPolicy, type MergedRule } from './destination-rules';
import type { OutboundClusterIR } from '../ir';
import { localityLbFor, localityWeighted, withoutRanks, type EndpointWorkload } from './locality-lb';
import { outbound as outboundName } from '../names';

/**
 * cluster_builder.go: applyDestinationRule → buildSubsetCluster — next to a
 * Service's or ServiceEntry host's `outbound|<port>||<host>` cluster, one
 * `outbound|<port>|<subset>|<host>` cluster per subset of its rule: the
 * endpoints whose workload carries every label of the subset, the subset's
 * policy over the rule's (util.go: MergeSubsetTrafficPolicy), `istio.config`
 * and `istio.subset` (util.go: AddConfigInfoMetadata, AddSubsetToMetadata).
 *
 * By the entry's resolution: STATIC subsets are EDS like a Service's; a DNS
 * subset lists inline the endpoints its labels select
 * (endpoints.EndpointBuilder.WithSubset), and is not built when they select
 * none (buildCluster returns nil for a DNS cluster without endpoints) unless
 * its policy is PASSTHROUGH; its locality plan has no failoverPriority ranks
 * (no wrapped endpoints on a subset cluster, so
 * loadbalancer.go: applyFailoverPriorities returns at once); NONE subsets are
 * original-destination clusters; a DYNAMIC_DNS host gets none
 * (applyDestinationRule returns before the subsets of a DFP cluster).
 */
export function outboundSubsets(
  ctx: WaypointContext,
  o: OutboundClusterIR,
  rule: MergedRule,
  pods: () => readonly (EndpointWorkload | undefined)[],
  trafficDistribution: string | undefined,
): OutboundClusterIR[] {
  const resolution = o.serviceEntry?.resolution;
  if (o.subset || rule.subsets.length === 0 || resolution === 'DYNAMIC_DNS') return [];
  const dns = resolution === 'DNS' || resolution === 'DNS_ROUND_ROBIN';
  const all = pods();
  return rule.subsets.flatMap((s) => {
    const want = Object.entries(s.labels ?? {});
    const keep = (i: number) => {
      const labels = all[i]?.metadata.labels;
      return labels !== undefined && want.every(([k, v]) => labels[k] === v);
    };
    const endpoints = o.endpoints.filter((_, i) => keep(i));
    const picked = all.filter((_, i) => keep(i));
    const policy = subsetPolicy(rule.trafficPolicy, s.trafficPolicy, o.port) ?? {};
    if (dns && endpoints.length === 0 && policy.loadBalancer?.simple !== 'PASSTHROUGH') return [];
    const plan = localityLbFor(ctx, policy, endpoints, picked, trafficDistribution);
    const lb = dns ? withoutRanks(plan) : plan;
    const { localityLb: _l, localityWeighted: _w, destination: _d, ...base } = o;
    return [
      {
        ...base,
        cluster: outboundName(o.port, o.hostname, s.name),
        subset: s.name,
        endpoints,
        destination: {
          policy,
          config: ruleConfig(rule),
          ...(lb ? { localityLb: lb } : {}),
          ...(localityWeighted(ctx, policy, trafficDistribution) ? { localityWeighted: true as const } : {}),
        },
      },
    ];
  });
}
