import type { ConsistentHashLB } from '../model';
import type { WaypointContext } from './context';
import type { DestinationRuleIndex, MergedRule } from './destination-rules';
import type { HttpRouteIR, TcpProxyIR, TcpRouteIR } from './ir';
import { clusterNameParts } from './names';

// What a DestinationRule changes outside the clusters: the routes' hash
// policies and the TCP chains' tcp_proxy.

/** A backend cluster's host and port, read back from its name (`…|<port>|…|<host>`). */
function clusterTarget(cluster: string): { host: string; port: number } | undefined {
  const c = clusterNameParts(cluster);
  return c && { host: c.hostname, port: c.port };
}

/** The namespace of a Kubernetes service host (`name.ns.svc.<domain>`). */
const hostNamespace = (host: string) => host.split('.')[1] ?? '';

function ruleForHost(ctx: WaypointContext, index: DestinationRuleIndex, host: string): MergedRule | undefined {
  return index.lookup(ctx.waypoint.namespace, host, hostNamespace(host));
}

/**
 * route.go: HashForHTTPDestination — the rule's consistent hash, or the one
 * of its port-level setting for the destination's port.
 */
function hashFor(rule: MergedRule | undefined, port: number): ConsistentHashLB | undefined {
  const tp = rule?.trafficPolicy;
  const pls = tp?.portLevelSettings?.find((p) => p.port?.number === port)?.loadBalancer?.consistentHash;
  return pls ?? tp?.loadBalancer?.consistentHash;
}

/** route.go: processDestination / processWeightedDestination — one hash policy per hashing backend. */
export function withHashPolicies(
  ctx: WaypointContext,
  index: DestinationRuleIndex,
  routes: HttpRouteIR[],
): HttpRouteIR[] {
  let changed = false;
  const out = routes.map((r) => {
    const hashes: ConsistentHashLB[] = [];
    for (const b of r.backends) {
      const t = clusterTarget(b.cluster);
      const h = t && hashFor(ruleForHost(ctx, index, t.host), t.port);
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
 * listener_waypoint.go: buildWaypointNetworkFilters — the rule of the first
 * TCP route's first backend (else the service's): its top-level TCP idle
 * timeout and maximum connection duration, a source-IP hash
 * (networkfilter.go: maybeSetHashPolicy) and its tunnel (tunnelingconfig: Apply).
 * Gateway API backends name no subset, so subsets play no part.
 */
export function tcpProxyFor(
  ctx: WaypointContext,
  index: DestinationRuleIndex,
  own: MergedRule | undefined,
  routes: readonly TcpRouteIR[],
): TcpProxyIR | undefined {
  const first = routes[0]?.backends[0];
  const t = first && clusterTarget(first.cluster);
  const rule = t ? ruleForHost(ctx, index, t.host) : own;
  const tp = rule?.trafficPolicy;
  if (!tp) return undefined;
  const tcp = tp.connectionPool?.tcp;
  const out: TcpProxyIR = {
    ...(tcp?.idleTimeout ? { idleTimeout: tcp.idleTimeout } : {}),
    ...(tcp?.maxConnectionDuration ? { maxConnectionDuration: tcp.maxConnectionDuration } : {}),
    ...(tp.loadBalancer?.consistentHash?.useSourceIp ? { sourceIpHash: true } : {}),
    ...(tp.tunnel
      ? {
          tunnel: {
            hostname: joinHostPort(tp.tunnel.targetHost, tp.tunnel.targetPort),
            usePost: tp.tunnel.protocol === 'POST',
          },
        }
      : {}),
  };
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Go's net.JoinHostPort: an IPv6 host in brackets. */
const joinHostPort = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);
