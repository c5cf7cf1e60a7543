import type { Service, ServicePort } from '../../model';
import type { HttpRouteIR, OutboundClusterIR, TcpRouteIR } from '../ir';
import type { WaypointContext } from '../context';
import { attachedRoutes, routeOrder, type AnyRoute } from './route-attach';
import { tcpRouteFromGateway, tlsRouteApplies } from './tcp-routes';
import { hostnameOf } from '../services';
import { candidateVirtualServices, orderedSources, type GatewayBlock } from './vs-select';
import { vsHttpRoutes } from './vs-http';
import { vsTcpDestinations, vsTcpRoute, vsTlsDestinations } from './vs-l4';

// One service port's routes when VirtualServices name the service: theirs and
// the Gateway API routes', merged in istiod's order (vs-select.ts). Without a
// VirtualService the Gateway API result is returned as it was.

type Routes<T> = { routes: T[]; outbound: OutboundClusterIR[] };

/** The oldest route's creation time: the merged VirtualService keeps it (mergeHTTPRoutes). */
function oldest(routes: readonly AnyRoute[]): AnyRoute | undefined {
  return [...routes].sort(routeOrder)[0];
}

/**
 * listener_waypoint.go: buildWaypointInboundHTTPRouteConfig — the routes of
 * every matching VirtualService, one after the other. The service's mesh
 * HTTPRoutes and GRPCRoutes are one block, already ordered among themselves.
 */
export function withVirtualServiceHttp(
  ctx: WaypointContext,
  svc: Service,
  port: ServicePort,
  gateway: Routes<HttpRouteIR>,
): Routes<HttpRouteIR> {
  const vss = candidateVirtualServices(ctx, svc);
  if (vss.length === 0) return gateway;
  const attached = [
    ...attachedRoutes(ctx, 'HTTPRoute', svc, port.port),
    ...attachedRoutes(ctx, 'GRPCRoute', svc, port.port),
  ];
  const first = oldest(attached);
  const blocks: GatewayBlock<HttpRouteIR[]>[] = [];
  if (first && gateway.routes.length > 0) {
    // Routes in the waypoint's namespace make the block one of its own namespace.
    const ns = attached.some((r) => r.metadata.namespace === ctx.waypoint.namespace)
      ? ctx.waypoint.namespace
      : svc.metadata.namespace;
    blocks.push({
      value: gateway.routes,
      namespace: ns,
      created: first.metadata.creationTimestamp ?? '',
      name: `${ns}~${hostnameOf(svc, ctx.opts.domain)}`,
    });
  }
  const outbound = [...gateway.outbound];
  const routes: HttpRouteIR[] = [];
  for (const s of orderedSources(ctx, vss, blocks)) {
    if (s.kind === 'gateway') routes.push(...s.block);
    else routes.push(...vsHttpRoutes(ctx, s.vs, port.port, outbound));
  }
  return { routes, outbound };
}

/**
 * listener_waypoint.go: getWaypointTCPRoutes — across every matching
 * VirtualService (TLSRoutes and TCPRoutes each being one), the first TLS
 * route for the service host, else the first TCP route.
 */
export function withVirtualServiceTcp(
  ctx: WaypointContext,
  svc: Service,
  port: ServicePort,
  gateway: { tcp: TcpRouteIR[]; outbound: OutboundClusterIR[] },
): { tcp: TcpRouteIR[]; outbound: OutboundClusterIR[] } {
  const vss = candidateVirtualServices(ctx, svc);
  if (vss.length === 0) return gateway;
  const host = hostnameOf(svc, ctx.opts.domain);
  const block = (r: AnyRoute, kind: 'tls' | 'tcp'): GatewayBlock<AnyRoute> => ({
    value: r,
    namespace: r.metadata.namespace,
    created: r.metadata.creationTimestamp ?? '',
    name: `${r.metadata.name}~${kind}~0~gateway`,
  });
  const blocks = [
    ...attachedRoutes(ctx, 'TLSRoute', svc, port.port)
      .filter((r) => tlsRouteApplies(r, host))
      .map((r) => block(r, 'tls')),
    ...attachedRoutes(ctx, 'TCPRoute', svc, port.port).map((r) => block(r, 'tcp')),
  ].filter((b) => (b.value.spec?.rules?.length ?? 0) > 0);
  const sources = orderedSources(ctx, vss, blocks);
  const outbound: OutboundClusterIR[] = [];
  for (const want of ['TLSRoute', 'TCPRoute'] as const) {
    for (const s of sources) {
      if (s.kind === 'gateway') {
        if (s.block.kind !== want) continue;
        return tcpRouteFromGateway(ctx, s.block);
      }
      const dests = want === 'TLSRoute' ? vsTlsDestinations(s.vs, host, port.port) : vsTcpDestinations(s.vs, port.port);
      if (dests) return { tcp: [vsTcpRoute(ctx, s.vs, dests, port.port, outbound)], outbound };
    }
  }
  return { tcp: [], outbound };
}
