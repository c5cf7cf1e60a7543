import type { EndpointIR } from '../ir';
import { localityMatch, type Locality, type LocalityLbIR } from './locality-lb';

/** One locality's endpoints in an assignment, as they are reshaped. */
export interface LocalityGroup {
  locality: Locality;
  endpoints: EndpointIR[];
  weight: number;
  priority: number;
}

/** util.go: LbPriority — 0 same subzone, 1 same zone, 2 same region, 3 elsewhere. */
function lbPriority(proxy: Locality, ep: Locality): number {
  if (proxy.region !== ep.region) return 3;
  if (proxy.zone !== ep.zone) return 2;
  return proxy.subzone === ep.subzone ? 0 : 1;
}

/** Priorities renumbered 0..N in order, none skipped, as Envoy requires. */
function compact(groups: LocalityGroup[]): void {
  const order = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  const to = new Map(order.map((p, i) => [p, i]));
  for (const g of groups) g.priority = to.get(g.priority) ?? g.priority;
}

/**
 * loadbalancer.go: applyLocalityWeights — each `to` locality's share of the
 * weight, split over the groups it matches by their own weights (rounded
 * up); a group no entry matches keeps its place but no endpoints.
 */
function distribute(groups: LocalityGroup[], to: readonly [string, number][]): void {
  const unmatched = new Set(groups.keys());
  for (const [rule, weight] of to) {
    const hit = [...unmatched].filter((i) => localityMatch((groups[i] as LocalityGroup).locality, rule));
    let total = 0;
    for (const i of hit) {
      unmatched.delete(i);
      total += (groups[i] as LocalityGroup).weight;
    }
    for (const i of hit) {
      const g = groups[i] as LocalityGroup;
      const share = (g.weight * weight) / total;
      if (share > 0) g.weight = Math.ceil(share);
    }
  }
  for (const i of unmatched) (groups[i] as LocalityGroup).endpoints = [];
}

/**
 * loadbalancer.go: applyFailoverPriorities — each group split by its
 * endpoints' ranks (lowest first), each part weighing its endpoints.
 */
function byRank(groups: LocalityGroup[], ranks: Record<string, number>): LocalityGroup[] {
  const out: LocalityGroup[] = [];
  for (const g of groups) {
    const parts = new Map<number, EndpointIR[]>();
    for (const e of g.endpoints) {
      const r = ranks[`${e.ip}:${e.port}`] ?? 0;
      const list = parts.get(r) ?? [];
      list.push(e);
      parts.set(r, list);
    }
    for (const r of [...parts.keys()].sort((a, b) => a - b)) {
      const endpoints = parts.get(r) ?? [];
      out.push({ locality: g.locality, endpoints, weight: endpoints.length, priority: r });
    }
  }
  compact(out);
  return out;
}

/**
 * loadbalancer.go: applyLocalityFailover — each group's priority by how
 * close its locality is to the waypoint's, a region the waypoint's failover
 * entry does not name below the rest, kept under any rank already given.
 */
function localityFailover(
  groups: LocalityGroup[],
  proxy: Locality,
  failover: readonly { from: string; to: string }[],
): void {
  for (const g of groups) {
    let p = lbPriority(proxy, g.locality);
    if (p === 3) {
      const f = failover.find((x) => x.from === proxy.region);
      if (f && g.locality.region !== f.to) p = 4;
    }
    g.priority = g.priority * 5 + p;
  }
  compact(groups);
}

/** loadbalancer.go: ApplyLocalityLoadBalancer — the groups of one assignment under a plan. */
export function applyLocalityPlan(groups: LocalityGroup[], plan: LocalityLbIR): LocalityGroup[] {
  if (plan.distribute) {
    distribute(groups, plan.distribute);
    return groups;
  }
  const out = plan.ranks ? byRank(groups, plan.ranks) : groups;
  if (plan.localityFailover) localityFailover(out, plan.proxy, plan.localityFailover);
  return out;
}
