import { isCoreServiceRef } from '../../model/refs';
import { waypointKey } from '../../ambient';
import type { BackendRef, NamespacedObject, Service } from '../../model';
import type { OutboundClusterIR } from '../ir';
import type { WaypointContext } from '../context';
import { inboundVip, outbound, serviceHostname, UNKNOWN_SERVICE, type ChainProtocol } from '../names';
import { endpointIRs, hostnameOf, istioProtocol, portProtocol } from '../services';
import { hostnameCluster, isHostnameRef, type HostnameChecked } from './hostname-backends';
import { backendCheck, type Checked } from './route-decision';
import type { AnyRoute } from './route-attach';
import { backendRefGroup, backendRefKind } from '../../model/defaults';

/**
 * A backendRef that cannot be used still names the cluster istiod would route
 * to (`cluster`): it is in no CDS response, so Envoy answers 500 for the
 * backend's share of the traffic (conversion.go: buildHTTPDestination keeps
 * invalid backends; listener_waypoint.go: getWaypointDestinationCluster).
 */
export type Resolved =
  | { ok: true; cluster: string; outbound?: OutboundClusterIR; service?: Service }
  | { ok: false; reason: string; message: string; cluster: string };

/**
 * Resolves a route backend to a cluster: the waypoint's own inbound-vip
 * cluster when it serves that service, else an outbound cluster. Whether the
 * backend can be used at all is the route's decision (route-decision.ts),
 * the one its status reports.
 */
export function resolveBackend(ctx: WaypointContext, route: AnyRoute, ref: BackendRef, want: ChainProtocol): Resolved {
  const decided = backendCheck(ctx, route, ref);
  if (isHostnameRef(ref)) {
    const h = hostnameCluster(ctx, ref, decided as HostnameChecked);
    return h.ok
      ? { ok: true, cluster: h.cluster, ...(h.outbound ? { outbound: h.outbound } : {}) }
      : { ok: false, reason: h.reason ?? 'BackendNotFound', message: h.message ?? '', cluster: h.cluster };
  }
  const checked = decided as Checked;
  if (!checked.ok) return { ...checked, cluster: deadCluster(ctx, route, ref, checked.service) };
  const { service: svc, port } = checked;
  const host = hostnameOf(svc, ctx.opts.domain);
  if (ownedHere(ctx, svc)) {
    const proto = portProtocol(port);
    const flavor: ChainProtocol = proto === 'sniff' ? want : proto;
    return { ok: true, cluster: inboundVip(port.port, flavor, host), service: svc };
  }
  const cluster = outbound(port.port, host);
  return {
    ok: true,
    cluster,
    service: svc,
    outbound: {
      cluster,
      hostname: host,
      port: port.port,
      endpoints: endpointIRs(svc, port, ctx, ctx.opts.clusterId),
      protocol: istioProtocol(port),
    },
  };
}

/** Whether this waypoint serves `svc` (its own inbound-vip clusters carry it). */
export function ownedHere(ctx: WaypointContext, svc: Service): boolean {
  const ns = svc.metadata.namespace;
  ctx.reads.object('Namespace', undefined, ns);
  const key = `Service/${ns}/${svc.metadata.name}`;
  const owner = ctx.index.waypointFor(key);
  if (owner !== undefined && waypointKey(owner) === ctx.waypoint.key) return true;
  // A canary waypoint serves the service as well (ambientindex.go: serviceOwningWaypoints).
  const canary = ctx.index.canaryFor(key);
  return canary !== undefined && canary.key === ctx.waypoint.key;
}

/**
 * The cluster istiod names for a backendRef it cannot resolve: a Service that
 * does not exist is still addressed by hostname and port (an unknown service's
 * port counts as HTTP), one of another kind has no host at all.
 * listener_waypoint.go: getWaypointDestinationCluster, portToSubset.
 */
function deadCluster(ctx: WaypointContext, route: NamespacedObject, ref: BackendRef, svc: Service | undefined): string {
  const group = backendRefGroup(ref);
  if (!isCoreServiceRef(group, backendRefKind(ref)) || ref.port === undefined) return UNKNOWN_SERVICE;
  const ns = ref.namespace ?? route.metadata.namespace;
  if (!svc) return inboundVip(ref.port, 'http', serviceHostname(ref.name, ns, ctx.opts.domain));
  const host = hostnameOf(svc, ctx.opts.domain);
  return ownedHere(ctx, svc) ? inboundVip(ref.port, 'http', host) : outbound(ref.port, host);
}
