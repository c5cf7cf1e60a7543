import { waypointKey } from '../ambient';
import {
  get,
  getInNamespace,
  inNamespace,
  type BackendRef,
  type KubeObject,
  type Service,
  type ServicePort,
  type World,
} from '../model';
import type { Reads } from './reads';
import type { OutboundClusterIR } from './ir';
import type { WaypointContext } from './context';
import { inboundVip, outbound, type ChainProtocol } from './names';
import { endpointIRs, hostnameOf, istioProtocol, portProtocol } from './services';

export type Resolved =
  | { ok: true; cluster: string; outbound?: OutboundClusterIR; service: Service }
  | { ok: false; reason: string; message: string };

/** Whether a ReferenceGrant in the target namespace lets `from` refer to the Service. */
export function referenceAllowed(
  ctx: { world: World; reads?: Reads },
  from: KubeObject,
  toNs: string,
  toName: string,
): boolean {
  const fromNs = from.metadata.namespace ?? 'default';
  if (fromNs === toNs) return true;
  ctx.reads?.namespace('ReferenceGrant', toNs);
  const fromGroup = from.apiVersion.includes('/') ? from.apiVersion.split('/')[0] : '';
  return inNamespace(ctx.world, 'ReferenceGrant', toNs).some(
    (g) =>
      (g.spec?.from ?? []).some((f) => f.group === fromGroup && f.kind === from.kind && f.namespace === fromNs) &&
      (g.spec?.to ?? []).some(
        (t) =>
          (t.group === '' || t.group === 'core') &&
          t.kind === 'Service' &&
          (t.name === undefined || t.name === '' || t.name === toName),
      ),
  );
}

export type Checked =
  { ok: true; service: Service; port: ServicePort } | { ok: false; reason: string; message: string };

/** The checks Gateway API's ResolvedRefs condition reports: kind, existence, grant, port. */
export function checkBackendRef(world: World, route: KubeObject, ref: BackendRef, reads?: Reads): Checked {
  const group = ref.group ?? '';
  const kind = ref.kind ?? 'Service';
  if (!((group === '' || group === 'core') && kind === 'Service')) {
    return { ok: false, reason: 'InvalidKind', message: `backendRef ${group}/${kind} ${ref.name} is not a Service` };
  }
  const ns = ref.namespace ?? route.metadata.namespace ?? 'default';
  reads?.object('Service', ns, ref.name);
  const svc = ns ? getInNamespace(world, 'Service', ns, ref.name) : get(world, 'Service', ns, ref.name);
  if (!svc) return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${ref.name} not found` };
  if (!referenceAllowed({ world, reads }, route, ns, ref.name)) {
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
    return { ok: false, reason: 'BackendNotFound', message: `Service ${ns}/${ref.name} has no port ${ref.port}` };
  return { ok: true, service: svc, port };
}

/**
 * Resolves a route backend to a cluster: the waypoint's own inbound-vip
 * cluster when it serves that service, else an outbound cluster.
 */
export function resolveBackend(
  ctx: WaypointContext,
  route: KubeObject,
  ref: BackendRef,
  want: ChainProtocol,
): Resolved {
  const checked = checkBackendRef(ctx.world, route, ref, ctx.reads);
  if (!checked.ok) return checked;
  const { service: svc, port } = checked;
  const ns = svc.metadata.namespace ?? 'default';
  const host = hostnameOf(svc, ctx.opts.domain);
  ctx.reads.object('Namespace', undefined, ns);
  const owner = ctx.index.waypointFor(`Service/${ns}/${svc.metadata.name}`);
  if (owner && waypointKey(owner) === ctx.waypoint.key) {
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
      endpoints: endpointIRs(svc, port, ctx.world, ctx.reads, ctx.opts.clusterId),
      protocol: istioProtocol(port),
    },
  };
}
