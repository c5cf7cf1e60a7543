import { isCoreServiceRef } from '../../model/refs';
import { waypointKey } from '../../ambient';
import {
  readNamespace,
  readObject,
  recorded,
  type BackendRef,
  type NamespacedObject,
  type Service,
  type ServicePort,
  type World,
} from '../../model';
import type { Reads } from '../reads';
import type { OutboundClusterIR } from '../ir';
import type { WaypointContext } from '../context';
import { inboundVip, outbound, serviceHostname, UNKNOWN_SERVICE, type ChainProtocol } from '../names';
import { endpointIRs, hostnameOf, istioProtocol, portProtocol } from '../services';
import { hostnameCluster, isHostnameRef } from './hostname-backends';
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

/** Whether a ReferenceGrant in the target namespace lets `from` refer to the Service. */
export function referenceAllowed(
  ctx: { world: World; reads?: Reads },
  from: NamespacedObject,
  toNs: string,
  toName: string,
): boolean {
  const fromNs = from.metadata.namespace;
  if (fromNs === toNs) return true;
  const fromGroup = from.apiVersion.includes('/') ? from.apiVersion.split('/')[0] : '';
  return readNamespace(recorded(ctx.world, ctx.reads), 'ReferenceGrant', toNs).some(
    (g) =>
      (g.spec?.from ?? []).some((f) => f.group === fromGroup && f.kind === from.kind && f.namespace === fromNs) &&
      (g.spec?.to ?? []).some(
        (t) => isCoreServiceRef(t.group, t.kind) && (t.name === undefined || t.name === '' || t.name === toName),
      ),
  );
}

export type Checked =
  { ok: true; service: Service; port: ServicePort } | { ok: false; reason: string; message: string; service?: Service };

/**
 * The checks Gateway API's ResolvedRefs condition reports: kind, existence,
 * grant, port. Routes whose parent is a Service (mesh routes) need no
 * ReferenceGrant (conversion.go: buildDestination, `enforceRefGrant = !mesh`).
 */
export function checkBackendRef(
  world: World,
  route: NamespacedObject,
  ref: BackendRef,
  reads?: Reads,
  enforceRefGrant = false,
): Checked {
  const group = backendRefGroup(ref);
  const kind = backendRefKind(ref);
  if (!isCoreServiceRef(group, kind)) {
    return { ok: false, reason: 'InvalidKind', message: `backendRef ${group}/${kind} ${ref.name} is not a Service` };
  }
  const ns = ref.namespace ?? route.metadata.namespace;
  const svc = readObject(recorded(world, reads), 'Service', ns, ref.name);
  if (!svc) return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${ref.name} not found` };
  if (enforceRefGrant && !referenceAllowed({ world, reads }, route, ns, ref.name)) {
    return {
      ok: false,
      reason: 'RefNotPermitted',
      message: `no ReferenceGrant in ${ns} allows ${route.kind} ${route.metadata.namespace}/${route.metadata.name} to refer to Service ${ref.name}`,
    };
  }
  if (ref.port === undefined)
    return { ok: false, reason: 'UnsupportedValue', message: `backendRef to Service ${ns}/${ref.name} needs a port` };
  const port = (svc.spec?.ports ?? []).find((p) => p.port === ref.port);
  if (!port)
    return {
      ok: false,
      reason: 'BackendNotFound',
      message: `Service ${ns}/${ref.name} has no port ${ref.port}`,
      service: svc,
    };
  return { ok: true, service: svc, port };
}

/**
 * Resolves a route backend to a cluster: the waypoint's own inbound-vip
 * cluster when it serves that service, else an outbound cluster.
 */
export function resolveBackend(
  ctx: WaypointContext,
  route: NamespacedObject,
  ref: BackendRef,
  want: ChainProtocol,
): Resolved {
  if (isHostnameRef(ref)) {
    const h = hostnameCluster(ctx, route, ref);
    return h.ok
      ? { ok: true, cluster: h.cluster, ...(h.outbound ? { outbound: h.outbound } : {}) }
      : { ok: false, reason: h.reason ?? 'BackendNotFound', message: h.message ?? '', cluster: h.cluster };
  }
  const checked = checkBackendRef(ctx.world, route, ref, ctx.reads);
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
