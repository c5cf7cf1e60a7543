import type { Service, ServicePort } from '../model';
import type { BackendIR, OutboundClusterIR, TcpRouteIR } from './ir';
import type { WaypointContext } from './context';
import { resolveBackend } from './backends';
import { routeName } from './names';
import { attachedRoutes, routeOrder } from './route-attach';
import { hostnameOf } from './services';

/**
 * TCP and TLS routes of one service port. Only the first rule of the oldest
 * route counts (a TCP stream has nothing else to match on); a TLS route
 * counts only when it names the service hostname, which is the SNI it will see.
 */
export function tcpRoutesFor(
  ctx: WaypointContext,
  svc: Service,
  port: ServicePort,
): { tcp: TcpRouteIR[]; tls: TcpRouteIR[]; outbound: OutboundClusterIR[] } {
  const outbound: OutboundClusterIR[] = [];
  const build = (
    route: Parameters<typeof resolveBackend>[1],
    refs: NonNullable<NonNullable<import('../model').TCPRoute['spec']>['rules']>[number]['backendRefs'],
  ): BackendIR[] => {
    const out: BackendIR[] = [];
    for (const ref of refs ?? []) {
      const res = resolveBackend(ctx, route, ref, 'tcp');
      if (!res.ok || (ref.weight ?? 1) === 0) continue;
      if (res.outbound) outbound.push(res.outbound);
      out.push({ cluster: res.cluster, weight: ref.weight ?? 1 });
    }
    return out;
  };
  const host = hostnameOf(svc, ctx.opts.domain);
  const tcp = attachedRoutes(ctx, 'TCPRoute', svc, port.port).sort(routeOrder);
  const tls = attachedRoutes(ctx, 'TLSRoute', svc, port.port)
    .filter((r) => (r.spec?.hostnames ?? []).includes(host))
    .sort(routeOrder);
  const first = <T extends { metadata: { namespace?: string; name: string } }>(
    r: T | undefined,
    rules: { backendRefs?: unknown[] }[] | undefined,
    sni?: string[],
  ) => {
    if (!r || !rules?.[0]) return [];
    const backends = build(r as unknown as Parameters<typeof resolveBackend>[1], rules[0].backendRefs as never);
    return backends.length > 0
      ? [{ name: routeName(r.metadata.namespace ?? 'default', r.metadata.name, 0), backends, ...(sni ? { sni } : {}) }]
      : [];
  };
  return {
    tcp: first(tcp[0], tcp[0]?.spec?.rules),
    tls: first(tls[0], tls[0]?.spec?.rules, [host]),
    outbound,
  };
}
