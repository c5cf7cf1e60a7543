import type { ConsistentHashLB, TrafficPolicy } from '../../model';
import type { WaypointContext } from '../context';
import type { DestinationRuleIndex, MergedRule, OutboundProxy } from './destination-rules';
import type { HttpRouteIR, TcpProxyIR, TcpRouteIR } from '../ir';
import { clusterNameParts } from '../names';
import { hostnameServiceNamespace } from '../route/route-backend-host';
import { waypointProxyLabels } from './waypoint-labels';

// What a DestinationRule changes outside the clusters: the routes' hash
// policies and the TCP chains' tcp_proxy. istiod looks both up in the
// outbound direction (route.go: HashForHTTPDestination;
// listener_waypoint.go: buildWaypointNetworkFilters call
// SidecarScope.DestinationRule with TrafficDirectionOutbound), so a
// workloadSelector rule matching the waypoint's labels applies here as it
// does on outbound clusters.

/** A backend cluster's host, port and subset, read back from its name (`…|<port>|<chain>[/<subset>] or <subset>|<host>`). */
function clusterTarget(cluster: string): { host: string; port: number; subset: string } | undefined {
  const c = clusterNameParts(cluster);
  return c && { host: c.hostname, port: c.port, subset: c.subset };
}

/** The waypoint as an outbound lookup's proxy; its labels are computed once, when a selector rule asks. */
function outboundProxy(ctx: WaypointContext): OutboundProxy {
  let labels: Record<string, string> | undefined;
  return { labels: () => (labels ??= waypointProxyLabels(ctx)) };
}

function ruleForHost(
  ctx: WaypointContext,
  index: DestinationRuleIndex,
  host: string,
  proxy: OutboundProxy,
): MergedRule | undefined {
  return index.lookup(ctx.waypoint.namespace, host, hostnameServiceNamespace(ctx, host), proxy);
}

const portHash = (tp: TrafficPolicy | undefined, port: number) =>
  tp?.portLevelSettings?.find((p) => p.port?.number === port)?.loadBalancer?.consistentHash;

/**
 * route.go: HashForHTTPDestination — the first set of: the subset's
 * port-level hash, the subset's hash, the rule's port-level hash, the
 * rule's hash.
 */
function hashFor(rule: MergedRule | undefined, port: number, subset: string): ConsistentHashLB | undefined {
  if (!rule) return undefined;
  const tp = rule.trafficPolicy;
  const s = subset ? rule.subsets.find((x) => x.name === subset)?.trafficPolicy : undefined;
  return portHash(s, port) ?? s?.loadBalancer?.consistentHash ?? portHash(tp, port) ?? tp?.loadBalancer?.consistentHash;
}

/** route.go: processDestination / processWeightedDestination — one hash policy per hashing backend. */
export function withHashPolicies(
  ctx: WaypointContext,
  index: DestinationRuleIndex,
  routes: HttpRouteIR[],
): HttpRouteIR[] {
  let changed = false;
  const proxy = outboundProxy(ctx);
  const out = routes.map((r) => {
    const hashes: ConsistentHashLB[] = [];
    for (const b of r.backends) {
      const t = clusterTarget(b.cluster);
      const h = t && hashFor(ruleForHost(ctx, index, t.host, proxy), t.port, t.subset);
      if (h) hashes.push(h);
    }
    if (hashes.length === 0) return r;
    changed = true;
    return { ...r, hashPolicy: hashes };
  });
  // Unchanged routes keep their identity, so their encodings are reused.
  return changed ? out : routes;
}

/** httproute.go: buildSidecarInboundHTTPRouteConfig — the rule's top-level consistent hash only. */
export function defaultHash(rule: MergedRule | undefined): ConsistentHashLB | undefined {
  return rule?.trafficPolicy?.loadBalancer?.consistentHash;
}

/**
 * listener_waypoint.go: buildWaypointNetworkFilters — the rule (outbound
 * lookup) of the first TCP route's first backend, else of the service
 * itself: its top-level TCP idle timeout and maximum connection duration
 * (subsets ignored, as there), a source-IP hash (networkfilter.go:
 * maybeSetHashPolicy) and its tunnel (tunnelingconfig: Apply). When the
 * first route has a single backend, that backend's subset decides the hash
 * and the tunnel.
 */
export function tcpProxyFor(
  ctx: WaypointContext,
  index: DestinationRuleIndex,
  serviceHost: string,
  routes: readonly TcpRouteIR[],
): TcpProxyIR | undefined {
  const backends = routes[0]?.backends ?? [];
  const t = backends[0] && clusterTarget(backends[0].cluster);
  const rule = ruleForHost(ctx, index, t ? t.host : serviceHost, outboundProxy(ctx));
  const tp = rule?.trafficPolicy;
  const subsetName = t && backends.length === 1 ? t.subset : '';
  const subset = subsetName ? rule?.subsets.find((s) => s.name === subsetName) : undefined;
  const tcp = tp?.connectionPool?.tcp;
  const tunnel = subsetName ? subset?.trafficPolicy?.tunnel : tp?.tunnel;
  const out: TcpProxyIR = {
    ...(tcp?.idleTimeout ? { idleTimeout: tcp.idleTimeout } : {}),
    ...(tcp?.maxConnectionDuration ? { maxConnectionDuration: tcp.maxConnectionDuration } : {}),
    ...(sourceIpHash(tp, subset?.trafficPolicy) ? { sourceIpHash: true } : {}),
    ...(tunnel
      ? {
          tunnel: { hostname: joinHostPort(tunnel.targetHost, tunnel.targetPort), usePost: tunnel.protocol === 'POST' },
        }
      : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * networkfilter.go: maybeSetHashPolicy — the rule's source-IP hash, unless the
 * chosen subset sets a load balancer: then its consistent hash decides (a
 * subset balancing another way turns the hash off).
 */
function sourceIpHash(rule: TrafficPolicy | undefined, subset: TrafficPolicy | undefined): boolean {
  if (subset?.loadBalancer) return subset.loadBalancer.consistentHash?.useSourceIp === true;
  return rule?.loadBalancer?.consistentHash?.useSourceIp === true;
}

/** Go's net.JoinHostPort: an IPv6 host in brackets. */
const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
