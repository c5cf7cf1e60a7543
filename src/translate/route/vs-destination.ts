import { type Service, type ServiceEntry, type VirtualService, type VsDestination, readObject } from '../../model';
import { waypointKey } from '../../ambient';
import type { OutboundClusterIR } from '../ir';
import type { WaypointContext } from '../context';
import { ownedHere } from './backends';
import { inboundVip, outbound, UNKNOWN_SERVICE } from '../names';
import { endpointIRs, istioProtocol, portProtocol } from '../services';
import { servedEntryOutbound, serviceEntryOutbound } from '../waypoint/outbound-service-entry';
import { entriesDeclaring } from '../service-entry-hosts';

/**
 * A VirtualService host as istiod reads it: a short name is completed with
 * the VirtualService's namespace and the cluster domain; `*`, IPs and names
 * with a dot stay (config.go: ResolveShortnameToFQDN).
 */
export function resolveShortname(host: string, vs: VirtualService, domain: string): string {
  if (host === '' || host === '*' || host.includes('.') || host.includes(':')) return host;
  return `${host}.${vs.metadata.namespace}.svc.${domain}`;
}

/** The Kubernetes Service a hostname names (`<name>.<ns>.svc.<domain>`), if any. */
export function serviceForHostname(ctx: WaypointContext, host: string): Service | undefined {
  const suffix = `.svc.${ctx.opts.domain}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split('.');
  if (parts.length !== 2) return undefined;
  const [name = '', ns = ''] = parts;
  return readObject(ctx, 'Service', ns, name);
}

/**
 * The cluster a VirtualService destination routes to
 * (listener_waypoint.go: getWaypointDestinationCluster, portToSubset): the
 * destination's port, else the service's only port, else the listener's; an
 * `inbound-vip|<port>|<http|tcp>[/<subset>]|<host>` cluster for a service this
 * waypoint serves or one that does not exist, else `outbound|<port>|<subset>|<host>`.
 * A subset-less outbound cluster is added to `outbound`; subset clusters are
 * built from DestinationRules.
 */
export function vsDestinationCluster(
  ctx: WaypointContext,
  vs: VirtualService,
  dest: VsDestination,
  listenerPort: number,
  outboundOut: OutboundClusterIR[],
): string {
  const host = resolveShortname(dest.host ?? '', vs, ctx.opts.domain);
  if (host === '') return UNKNOWN_SERVICE;
  const svc = serviceForHostname(ctx, host);
  if (!svc) {
    const se = serviceEntryForHost(ctx, host);
    if (se) return serviceEntryCluster(ctx, se, host, dest, listenerPort, outboundOut);
  }
  const ports = svc?.spec?.ports ?? [];
  const port = dest.port?.number ?? (svc && ports.length === 1 ? (ports[0]?.port ?? listenerPort) : listenerPort);
  const sp = ports.find((p) => p.port === port);
  const subset = dest.subset ?? '';
  // An unknown port counts as HTTP; a sniffed port too.
  const flavor = sp && portProtocol(sp) === 'tcp' ? 'tcp' : 'http';
  if (!svc || ownedHere(ctx, svc)) return inboundVip(port, flavor, host, subset);
  const cluster = outbound(port, host, subset);
  // The service's own outbound cluster also when a subset is named: its subset
  // clusters are built beside it (outbound-subsets.ts), as buildOutboundClusters does.
  if (sp) {
    outboundOut.push({
      cluster: outbound(port, host),
      hostname: host,
      port,
      endpoints: endpointIRs(svc, sp, ctx, ctx.opts.clusterId),
      protocol: istioProtocol(sp),
    });
  }
  return cluster;
}

/**
 * The ServiceEntry that names `host` exactly, if any, the first in World
 * order (push_context.go: ServiceForHostname).
 */
function serviceEntryForHost(ctx: WaypointContext, host: string): ServiceEntry | undefined {
  return entriesDeclaring(ctx.world, host, ctx.reads)[0];
}

const HTTP_PROTOCOLS = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY']);

/**
 * getWaypointDestinationCluster for a ServiceEntry host: inbound-vip when this
 * waypoint serves the entry, else outbound (the entry's outbound cluster
 * added to `outboundOut`, as istiod builds it for a service its routes
 * reference: waypoint.go: filterWaypointOutboundServices); the port's
 * protocol picks http or tcp, an unknown or unnamed protocol counting as
 * http (portToSubset).
 */
function serviceEntryCluster(
  ctx: WaypointContext,
  se: ServiceEntry,
  host: string,
  dest: VsDestination,
  listenerPort: number,
  outboundOut: OutboundClusterIR[],
): string {
  const ports = se.spec?.ports ?? [];
  const port = dest.port?.number ?? (ports.length === 1 ? (ports[0]?.number ?? listenerPort) : listenerPort);
  const sp = ports.find((p) => p.number === port);
  const proto = (sp?.protocol ?? '').toUpperCase();
  const flavor = !sp || proto === '' || HTTP_PROTOCOLS.has(proto) ? 'http' : 'tcp';
  const key = `ServiceEntry/${se.metadata.namespace}/${se.metadata.name}`;
  const owner = ctx.index.waypointFor(key);
  const canary = ctx.index.canaryFor(key);
  const here = (owner && waypointKey(owner) === ctx.waypoint.key) || canary?.key === ctx.waypoint.key;
  if (here) {
    const unused = servedEntryOutbound(ctx, se, host, sp);
    if (unused) outboundOut.push(unused);
    return inboundVip(port, flavor, host, dest.subset ?? '');
  }
  // The host's own outbound cluster, its subsets built beside it (outbound-subsets.ts).
  const o = sp && serviceEntryOutbound(ctx, se, host, sp);
  if (o) outboundOut.push(o);
  return outbound(port, host, dest.subset ?? '');
}
