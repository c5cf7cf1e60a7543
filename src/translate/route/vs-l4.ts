import type { VirtualService, VsL4Match, VsRouteDestination } from '../../model';
import type { BackendIR, OutboundClusterIR, TcpRouteIR } from '../ir';
import type { WaypointContext } from '../context';
import { vsDestinationCluster } from './vs-destination';

// A VirtualService's `tls` and `tcp` routes on a waypoint's TCP chain
// (listener_waypoint.go: buildWaypointNetworkFilters, getWaypointTCPRoutes,
// getTLSRouteMatch, getTCPRouteMatch; tls.go: matchTLS, matchTCP).

/**
 * tls.go: matchTCP / matchTLS for a waypoint: it has no source labels or
 * source namespace to offer, is the `mesh` gateway, and listens on the
 * service port.
 */
function l4Matches(m: VsL4Match, port: number): boolean {
  const gateways = m.gateways ?? [];
  if (gateways.length > 0 && !gateways.includes('mesh')) return false;
  if (Object.keys(m.sourceLabels ?? {}).length > 0) return false;
  if ((m.sourceNamespace ?? '') !== '') return false;
  return m.port === undefined || m.port === 0 || m.port === port;
}

/** getTLSRouteMatch: no SNI matching on a waypoint, so only a match naming exactly the service host counts. */
export function vsTlsDestinations(vs: VirtualService, host: string, port: number): VsRouteDestination[] | undefined {
  for (const rule of vs.spec?.tls ?? []) {
    const matches = rule.match ?? [];
    if (matches.length === 0) return rule.route ?? [];
    for (const m of matches) {
      const sni = m.sniHosts ?? [];
      if (sni.length !== 1 || sni[0] !== host) continue;
      if (l4Matches(m, port)) return rule.route ?? [];
    }
  }
  return undefined;
}

/** getTCPRouteMatch: the first rule with no match or a match for this port. */
export function vsTcpDestinations(vs: VirtualService, port: number): VsRouteDestination[] | undefined {
  for (const rule of vs.spec?.tcp ?? []) {
    const matches = rule.match ?? [];
    if (matches.length === 0 || matches.some((m) => l4Matches(m, port))) return rule.route ?? [];
  }
  return undefined;
}

/**
 * The TCP route the destinations make: one cluster, or weighted clusters
 * without the weight-0 ones (buildWaypointNetworkFilters).
 */
export function vsTcpRoute(
  ctx: WaypointContext,
  vs: VirtualService,
  dests: readonly VsRouteDestination[],
  port: number,
  outbound: OutboundClusterIR[],
): TcpRouteIR {
  const chosen = dests.length === 1 ? dests : dests.filter((d) => (d.weight ?? 0) > 0);
  const backends: BackendIR[] = chosen.map((d) => ({
    cluster: vsDestinationCluster(ctx, vs, d.destination, port, outbound),
    weight: d.weight ?? 0,
  }));
  const ns = vs.metadata.namespace;
  return {
    name: `${ns}.${vs.metadata.name}`,
    backends,
    kind: 'VirtualService',
    source: { kind: 'VirtualService', namespace: ns, name: vs.metadata.name },
  };
}
