import { endpointsOf, isEnrolledIn } from '../ambient';
import {
  LABEL,
  readObject,
  type Pod,
  type RecordedWorld,
  type Service,
  type ServicePort,
  type WorkloadEntry,
} from '../model';
import type { EndpointIR, IstioProtocol, PortProtocol, WorkloadRef } from './ir';
import { serviceHostname } from './names';
import type { WaypointContext } from './context';
import { podLocality } from './locality';
import { DEFAULT_CANONICAL_REVISION } from '../model/defaults';

const KNOWN: ReadonlySet<string> = new Set([
  'grpc',
  'grpc-web',
  'http',
  'http_proxy',
  'http2',
  'https',
  'tcp',
  'tls',
  'udp',
  'mongo',
  'redis',
  'mysql',
]);

// Protocols that speak first from the server: sniffing would stall until the
// inspector times out, so their well-known ports default to TCP.
const SERVER_FIRST_PORTS: ReadonlySet<number> = new Set([25, 53, 3306, 27017]);

// Kubernetes' own appProtocol values (KEP-3726).
const K8S_APP: Readonly<Record<string, IstioProtocol>> = {
  'kubernetes.io/h2c': 'http2',
  'kubernetes.io/ws': 'http',
  'kubernetes.io/wss': 'https',
};

/**
 * The protocol of a Service port (kube/conversion.go: ConvertProtocol):
 * appProtocol when set, else the port name, read up to its first `-`
 * (`grpc-web…` whole); an unknown name is sniffed unless the port is a
 * well-known server-first port. An unknown appProtocol does not fall back to
 * the name.
 */
export function istioProtocol(p: ServicePort): IstioProtocol {
  if (p.protocol === 'UDP') return 'udp';
  let name = p.name ?? '';
  if (p.appProtocol !== undefined) {
    const k8s = K8S_APP[p.appProtocol];
    if (k8s) return k8s;
    name = p.appProtocol;
  }
  const lower = name.toLowerCase();
  if (lower.startsWith('grpc-web')) return 'grpc-web';
  const head = lower.split('-')[0] ?? '';
  if (KNOWN.has(head)) return head as IstioProtocol;
  return SERVER_FIRST_PORTS.has(p.port) ? 'tcp' : 'unsupported';
}

/** protocol.go: Parse — a protocol name in any case; one istio does not know is sniffed. */
export function parseIstioProtocol(name: string): IstioProtocol {
  const lower = name.toLowerCase();
  return KNOWN.has(lower) ? (lower as IstioProtocol) : 'unsupported';
}

/** protocol.go: IsHTTP2 — the upstream must speak HTTP/2. */
export const isHttp2 = (p: IstioProtocol) => p === 'http2' || p === 'grpc' || p === 'grpc-web';
/** protocol.go: IsTLS. */
export const isTls = (p: IstioProtocol) => p === 'https' || p === 'tls';

/** Which chains a port gets: HTTP, TCP, or both with sniffing (protocol.go: IsHTTP / IsTCP / IsUnsupported). */
export function chainKind(p: IstioProtocol): PortProtocol {
  if (p === 'unsupported') return 'sniff';
  return p === 'http' || p === 'http_proxy' || isHttp2(p) ? 'http' : 'tcp';
}

/** The chains a Service port gets. */
export function portProtocol(p: ServicePort): PortProtocol {
  return chainKind(istioProtocol(p));
}

export function hostnameOf(svc: Service, domain: string): string {
  return serviceHostname(svc.metadata.name, svc.metadata.namespace, domain);
}

export function vipsOf(svc: Service): string[] {
  const ips = svc.spec?.clusterIPs ?? (svc.spec?.clusterIP ? [svc.spec.clusterIP] : []);
  return ips.filter((ip) => ip !== '' && ip !== 'None');
}

function workloadRef(pod: Pod | undefined, svc: Service, clusterId: string): WorkloadRef {
  const l = pod?.metadata.labels ?? {};
  const name = pod?.metadata.name ?? svc.metadata.name;
  return {
    name,
    namespace: pod?.metadata.namespace ?? svc.metadata.namespace,
    canonicalName: l[LABEL.canonicalName] ?? l[LABEL.appName] ?? l[LABEL.app] ?? name,
    canonicalRevision:
      l[LABEL.canonicalRevision] ?? l[LABEL.appVersion] ?? l[LABEL.version] ?? DEFAULT_CANONICAL_REVISION,
    cluster: clusterId,
  };
}

/**
 * Endpoints of a service port, with what the waypoint needs to reach each.
 * Every World read (the slices, the pods, their namespace and nodes) is
 * recorded in `from.reads` as it is made.
 */
export function endpointIRs(svc: Service, p: ServicePort, from: RecordedWorld, clusterId: string): EndpointIR[] {
  const ns = readObject(from, 'Namespace', undefined, svc.metadata.namespace);
  return endpointsOf(svc, p, from).map((e) => {
    const locality = podLocality(e.pod, from);
    return {
      ip: e.ip,
      port: e.port,
      inMesh: e.pod ? isEnrolledIn(e.pod, ns) : false,
      ready: e.ready,
      workload: workloadRef(e.pod, svc, clusterId),
      ...(locality ? { locality } : {}),
    };
  });
}

/** The Services this waypoint serves (ServiceEntries need addresses and are handled elsewhere). */
export function servedServices(ctx: WaypointContext): Service[] {
  const out: Service[] = [];
  for (const s of ctx.index.servicesOf(ctx.waypoint.key)) {
    if (s.kind !== 'Service') continue;
    // Each recorded as read (the index names only Services the World has).
    const svc = readObject(ctx, 'Service', s.metadata.namespace, s.metadata.name);
    if (svc) out.push(svc);
  }
  return out;
}

/** The addresses of one workload: a Pod's IPs, or a WorkloadEntry's address when it is an IP. */
function workloadIps(o: Pod | WorkloadEntry): string[] {
  if (o.kind === 'WorkloadEntry') {
    const a = (o as WorkloadEntry).spec?.address ?? '';
    return /^[\d.]+$|:/.test(a) ? [a] : [];
  }
  const st = (o as Pod).status;
  const ips = (st?.podIPs ?? []).map((x) => x.ip).filter((ip) => ip !== '');
  return ips.length > 0 ? ips : st?.podIP ? [st.podIP] : [];
}

/**
 * IPs of the workloads bound to the waypoint, sorted and unique
 * (listener_waypoint.go: buildWaypointInternal takes each bound workload's
 * addresses; one without an IP adds none).
 */
export function boundWorkloadIps(ctx: WaypointContext): string[] {
  const ips = new Set<string>();
  for (const w of ctx.index.workloadsOf(ctx.waypoint.key)) {
    ctx.reads.object(w.kind, w.metadata.namespace, w.metadata.name);
    for (const ip of workloadIps(w as Pod | WorkloadEntry)) ips.add(ip);
  }
  return [...ips].sort();
}
