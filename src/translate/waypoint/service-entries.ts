// ServiceEntries served by a waypoint: one service per host, the way istiod
// turns an entry into services (serviceentry/conversion.go: convertServices)
// and its waypoint builds their chains and clusters (cluster_waypoint.go:
// buildWaypointInboundVIP; listener_waypoint.go: buildWaypointInternal).
import { isEnrolledIn } from '../../ambient';
import {
  LABEL,
  matchesLabels,
  type Pod,
  type ServiceEntry,
  type ServiceEntrySpec,
  readObject,
  readSelected,
} from '../../model';
import type { WaypointContext } from '../context';
import type { EndpointWorkload } from './locality-lb';
import type { EndpointIR, IstioProtocol, ServiceEntryResolution, WorkloadRef } from '../ir';
import { podLocality } from '../locality';
import { parseIstioProtocol } from '../services';
import { DEFAULT_CANONICAL_REVISION, serviceEntryResolution } from '../../model/defaults';
import { singleAddressOf } from '../../model/typed';
import { isIpAddress } from '../../model/values';

export type ServiceEntryPort = NonNullable<ServiceEntrySpec['ports']>[number];

/** serviceentry.go (label): `networking.istio.io/enable-autoallocate-ip: "false"` opts an entry out. */
const AUTOALLOCATE_LABEL = 'networking.istio.io/enable-autoallocate-ip';
/** model/service.go: DefaultAddress of a host without an address (constants.UnspecifiedIP). */
export const UNSPECIFIED_IP = '0.0.0.0';
/** istio annotation: DNS clusters race every resolved address (model.GetDNSConnectStrategy). */
const DNS_CONNECT_STRATEGY = 'networking.istio.io/dns-connect-strategy';

/** istio host.Name.IsWildCarded. */
export const isWildcardHost = (h: string): boolean => h.startsWith('*');

/** The resolution as written; the API's default is NONE. */
export function resolutionOf(se: ServiceEntry): ServiceEntryResolution {
  return serviceEntryResolution(se.spec);
}

/** protocol.Parse on a ServiceEntry port (the `protocol` field, any case; unknown is sniffed). */
export function serviceEntryProtocol(p: ServiceEntryPort): IstioProtocol {
  return parseIstioProtocol(p.protocol ?? '');
}

/**
 * ip_autoallocation.go: ShouldV2AutoAllocateIP — allocated addresses are used
 * unless resolution is NONE, the entry opts out, or it has addresses of its own.
 */
function usesAllocatedAddresses(se: ServiceEntry): boolean {
  if (resolutionOf(se) === 'NONE') return false;
  if ((se.metadata.labels?.[AUTOALLOCATE_LABEL] ?? '').toLowerCase() === 'false') return false;
  return (se.spec?.addresses ?? []).length === 0;
}

/**
 * The addresses of one host: the entry's own, else those istiod's IP
 * allocator wrote for the host into the entry's status (never for a wildcard
 * host unless resolution is DYNAMIC_DNS: services.go: constructServiceEntries).
 */
export function hostAddresses(se: ServiceEntry, host: string): string[] {
  const own = se.spec?.addresses ?? [];
  if (own.length > 0) return own.map(singleAddressOf);
  if (!usesAllocatedAddresses(se)) return [];
  if (isWildcardHost(host) && resolutionOf(se) !== 'DYNAMIC_DNS') return [];
  return (se.status?.addresses ?? []).filter((a) => a.host === host && a.value !== '').map((a) => a.value);
}

/**
 * What the waypoint matches a host on (model/service.go:
 * getAllAddressesForProxy): its addresses, or, with none, the unspecified
 * address istiod falls back to, which no connection is ever addressed to.
 */
export function waypointVips(se: ServiceEntry, host: string): string[] {
  const a = hostAddresses(se, host);
  return a.length > 0 ? a : [UNSPECIFIED_IP];
}

/** model.GetDNSConnectStrategy: RACE_FIRST_TCP_CONNECT makes DNS clusters LOGICAL_DNS resolving every family. */
export function racesFirstConnect(se: ServiceEntry): boolean {
  return se.metadata.annotations?.[DNS_CONNECT_STRATEGY] === 'RACE_FIRST_TCP_CONNECT';
}

function ref(name: string, namespace: string, labels: Record<string, string>, clusterId: string): WorkloadRef {
  return {
    name,
    namespace,
    canonicalName: labels[LABEL.canonicalName] ?? labels[LABEL.app] ?? name,
    canonicalRevision: labels[LABEL.canonicalRevision] ?? labels[LABEL.version] ?? DEFAULT_CANONICAL_REVISION,
    cluster: clusterId,
  };
}

function podReady(p: Pod): boolean {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? c.status === 'True' : p.status?.phase === 'Running';
}

/**
 * The endpoints of one port of an entry (serviceentry/conversion.go:
 * convertEndpoint, convertWorkloadEntryToServiceInstances): its inline
 * endpoints, the WorkloadEntries and Pods its workloadSelector picks in its
 * namespace, and for DNS resolution with neither, the host itself. An
 * endpoint's port is its own mapping for the port name, else targetPort,
 * else the port. STATIC entries take only IP addresses; DNS ones resolve
 * whatever is written. Enrolled workloads are reached over HBONE.
 */
export function serviceEntryEndpoints(
  ctx: WaypointContext,
  se: ServiceEntry,
  host: string,
  port: ServiceEntryPort,
  /** Filled, when given, with each endpoint's labels (and node), in the order of the result. */
  workloads?: EndpointWorkload[],
): EndpointIR[] {
  const ns = se.metadata.namespace;
  // Whether a selected workload is enrolled reads its Namespace, the entry's.
  const namespace = readObject(ctx, 'Namespace', undefined, ns);
  const dns = resolutionOf(se) === 'DNS' || resolutionOf(se) === 'DNS_ROUND_ROBIN';
  const usable = (a: string) => a !== '' && !a.startsWith('unix://') && (dns || isIpAddress(a));
  const fallback = port.targetPort ?? port.number;
  const out: EndpointIR[] = [];
  for (const e of se.spec?.endpoints ?? []) {
    const a = e.address ?? '';
    if (!usable(a)) continue;
    out.push({
      ip: a,
      port: e.ports?.[port.name] ?? fallback,
      inMesh: false,
      ready: true,
      workload: ref('', ns, e.labels ?? {}, ctx.opts.clusterId),
      ...(e.locality ? { locality: e.locality } : {}),
    });
    workloads?.push({ metadata: { labels: e.labels ?? {} } });
  }
  const selector = se.spec?.workloadSelector?.labels;
  if (selector) {
    // Each one is read: spec.labels count too, which its namespace's members do not cover.
    for (const we of readSelected(ctx, 'WorkloadEntry', ns)) {
      const labels = { ...(we.metadata.labels ?? {}), ...(we.spec?.labels ?? {}) };
      const a = we.spec?.address ?? '';
      if (!matchesLabels(selector, labels) || !usable(a)) continue;
      out.push({
        ip: a,
        port: we.spec?.ports?.[port.name] ?? fallback,
        inMesh: isEnrolledIn(we, namespace),
        ready: true,
        workload: ref(we.metadata.name, ns, labels, ctx.opts.clusterId),
        ...(we.spec?.locality ? { locality: we.spec.locality } : {}),
      });
      workloads?.push({ metadata: { labels } });
    }
    for (const pod of readSelected(ctx, 'Pod', ns, (p) => matchesLabels(selector, p.metadata.labels))) {
      const ip = pod.status?.podIPs?.[0]?.ip ?? pod.status?.podIP;
      if (!ip) continue;
      const locality = podLocality(pod, ctx);
      out.push({
        ip,
        port: fallback,
        inMesh: isEnrolledIn(pod, namespace),
        ready: podReady(pod),
        workload: ref(pod.metadata.name, ns, pod.metadata.labels ?? {}, ctx.opts.clusterId),
        ...(locality ? { locality } : {}),
      });
      workloads?.push(pod);
    }
  }
  if (out.length === 0 && dns && !selector) {
    out.push({ ip: host, port: fallback, inMesh: false, ready: true, workload: ref('', ns, {}, ctx.opts.clusterId) });
    workloads?.push({ metadata: { labels: {} } });
  }
  return out;
}

/** The ServiceEntries bound to this waypoint, each read. */
export function servedServiceEntries(ctx: WaypointContext): ServiceEntry[] {
  const out: ServiceEntry[] = [];
  for (const s of ctx.index.servicesOf(ctx.waypoint.key)) {
    if (s.kind !== 'ServiceEntry') continue;
    const ns = s.metadata.namespace;
    const se = readObject(ctx, 'ServiceEntry', ns, s.metadata.name);
    if (se) out.push(se);
  }
  return out;
}

/**
 * Whether a port of an entry gets its chain on the waypoint: not UDP, and for
 * a wildcard DYNAMIC_DNS host not TLS unless istiod's
 * ENABLE_WILDCARD_HOST_SERVICE_ENTRIES_FOR_TLS is on (listener_waypoint.go:
 * buildWaypointInternal).
 */
export function portServed(se: ServiceEntry, host: string, proto: IstioProtocol, wildcardTls: boolean): boolean {
  if (proto === 'udp') return false;
  return !(proto === 'tls' && isWildcardHost(host) && resolutionOf(se) === 'DYNAMIC_DNS' && !wildcardTls);
}
