import type { WaypointContext } from '../context';
import { ruleConfig } from './destination-ir';
import { subsetPolicy, type MergedRule } from './destination-rules';
import type { OutboundClusterIR } from '../ir';
import { localityLbFor, localityWeighted, type EndpointWorkload } from './locality-lb';
import { outbound as outboundName } from '../names';

/**
 * cluster_builder.go: applyDestinationRule → buildSubsetCluster — next to a
 * Service's `outbound|<port>||<host>` cluster, one `outbound|<port>|<subset>|<host>`
 * cluster per subset of its rule: the endpoints whose pod carries every
 * label of the subset, the subset's policy over the rule's
 * (util.go: MergeSubsetTrafficPolicy), `istio.config` and `istio.subset`
 * (util.go: AddConfigInfoMetadata, AddSubsetToMetadata). ServiceEntry hosts
 * get none here.
 */
export function outboundSubsets(
  ctx: WaypointContext,
  o: OutboundClusterIR,
  rule: MergedRule,
  pods: () => readonly (EndpointWorkload | undefined)[],
  trafficDistribution: string | undefined,
): OutboundClusterIR[] {
  if (o.serviceEntry || o.subset || rule.subsets.length === 0) return [];
  const all = pods();
  return rule.subsets.map((s) => {
    const want = Object.entries(s.labels ?? {});
    const keep = (i: number) => {
      const labels = all[i]?.metadata.labels;
      return labels !== undefined && want.every(([k, v]) => labels[k] === v);
    };
    const endpoints = o.endpoints.filter((_, i) => keep(i));
    const picked = all.filter((_, i) => keep(i));
    const policy = subsetPolicy(rule.trafficPolicy, s.trafficPolicy, o.port) ?? {};
    const lb = localityLbFor(ctx, policy, endpoints, picked, trafficDistribution);
    const { localityLb: _l, localityWeighted: _w, destination: _d, ...base } = o;
    return {
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
    };
  });
}
