import type { BackendRef, Service, ServicePort, TLSRoute } from '../../model';
import type { BackendIR, OutboundClusterIR, TcpRouteIR } from '../ir';
import type { WaypointContext } from '../context';
import { resolveBackend } from './backends';
import { routeName, ZERO_WEIGHT_CLUSTER } from '../names';
import { attachedRoutes, routeOrder, type AnyRoute, type RouteParent } from './route-attach';
import { hostnameOf } from '../services';
import { backendRefWeight } from '../../model/defaults';

/**
 * Whether a waypoint applies a TLSRoute to a service: its SNI hosts, after
 * keeping only those the service hostname matches when there are several,
 * must be exactly that hostname; no hostnames means the parent's
 * (route_collections.go: TLSRouteCollection, augmentTLSPortMatch,
 * compatibleRoutesForHost; listener_waypoint.go: getTLSRouteMatch).
 */
export function tlsRouteApplies(route: TLSRoute, host: string): boolean {
  let sni = route.spec?.hostnames ?? [];
  if (sni.length === 0) return true;
  if (sni.length > 1) sni = sni.filter((h) => hostMatches(host, h));
  return sni.length === 1 && sni[0] === host;
}

/** istio host.Name.Matches for a concrete `host`: equal, or under a `*.` wildcard. */
function hostMatches(host: string, pattern: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*.')) return host.endsWith(pattern.slice(1));
  return host === pattern;
}

/**
 * The TCP route of one service port. A waypoint does not match on SNI: a
 * TLSRoute for the service hostname, if any, wins over TCPRoutes and carries
 * all of the port's TCP traffic (listener_waypoint.go: getWaypointTCPRoutes,
 * GEP-1294). Of the routes of a kind, the oldest one's first rule counts.
 */
export function tcpRoutesFor(
  ctx: WaypointContext,
  svc: Service | RouteParent,
  port: Pick<ServicePort, 'port'>,
): { tcp: TcpRouteIR[]; outbound: OutboundClusterIR[] } {
  const host = 'metadata' in svc ? hostnameOf(svc, ctx.opts.domain) : svc.hostname;
  const tls = attachedRoutes(ctx, 'TLSRoute', svc, port.port)
    .filter((r) => tlsRouteApplies(r, host))
    .sort(routeOrder);
  const tcp = attachedRoutes(ctx, 'TCPRoute', svc, port.port).sort(routeOrder);
  const chosen: AnyRoute | undefined = [...tls, ...tcp].find((r) => (r.spec?.rules?.length ?? 0) > 0);
  return chosen ? tcpRouteFromGateway(ctx, chosen) : { tcp: [], outbound: [] };
}

/** The TCP route a TCPRoute or TLSRoute makes: its first rule's backends. */
export function tcpRouteFromGateway(
  ctx: WaypointContext,
  chosen: AnyRoute,
): { tcp: TcpRouteIR[]; outbound: OutboundClusterIR[] } {
  const outbound: OutboundClusterIR[] = [];
  const rule = chosen.spec?.rules?.[0];
  if (!rule) return { tcp: [], outbound };
  const backends = tcpBackends(ctx, chosen, rule.backendRefs ?? [], outbound);
  const name = routeName(chosen.metadata.namespace, chosen.metadata.name, 0, rule.name);
  return { tcp: [{ name, backends, kind: chosen.kind === 'TLSRoute' ? 'TLSRoute' : 'TCPRoute' }], outbound };
}

/**
 * conversion.go: convertTCPRoute / buildTCPDestination. Weight-0 backends are
 * left out; none left means a cluster that never exists (the connection is
 * refused); an unusable backend keeps its share the same way.
 */
function tcpBackends(
  ctx: WaypointContext,
  route: AnyRoute,
  refs: readonly BackendRef[],
  outbound: OutboundClusterIR[],
): BackendIR[] {
  const out: BackendIR[] = [];
  for (const ref of refs) {
    const weight = backendRefWeight(ref);
    if (weight === 0) continue;
    const res = resolveBackend(ctx, route, ref, 'tcp');
    if (res.ok && res.outbound) outbound.push(res.outbound);
    out.push({ cluster: res.cluster, weight });
  }
  return out.length > 0 ? out : [{ cluster: ZERO_WEIGHT_CLUSTER, weight: 1 }];
}
