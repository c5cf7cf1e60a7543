import { endpointsOf, isEnrolled, podsOfService } from '../ambient';
import {
  endpointSlicesOf,
  get,
  getInNamespace,
  LABEL,
  type Pod,
  type Service,
  type ServicePort,
  type World,
} from '../model';
import type { EndpointIR, PortProtocol, WorkloadRef } from './ir';
import { serviceHostname } from './names';
import type { WaypointContext } from './context';
import type { Reads } from './reads';

const HTTP_APP = new Set([
  'http',
  'http2',
  'grpc',
  'grpc-web',
  'kubernetes.io/h2c',
  'kubernetes.io/ws',
  'kubernetes.io/wss',
]);
const TCP_APP = new Set(['tcp', 'tls', 'https', 'mongo', 'redis', 'mysql', 'kubernetes.io/tls']);

/**
 * The protocol a port carries: appProtocol first, then the name prefix
 * (`http-…`, `grpc-…`, `tcp-…`), else unknown and sniffed.
 */
export function portProtocol(p: ServicePort): PortProtocol {
  const app = p.appProtocol?.toLowerCase();
  if (app && HTTP_APP.has(app)) return 'http';
  if (app && TCP_APP.has(app)) return 'tcp';
  const prefix = (p.name ?? '').toLowerCase().split('-')[0] ?? '';
  if (['http', 'http2', 'grpc', 'grpc-web'].includes(prefix)) return 'http';
  if (['tcp', 'tls', 'https', 'mongo', 'redis', 'mysql'].includes(prefix)) return 'tcp';
  if (p.protocol === 'UDP' || p.protocol === 'SCTP') return 'tcp';
  return 'sniff';
}

export function hostnameOf(svc: Service, domain: string): string {
  return serviceHostname(svc.metadata.name, svc.metadata.namespace ?? 'default', domain);
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
    namespace: pod?.metadata.namespace ?? svc.metadata.namespace ?? 'default',
    canonicalName: l[LABEL.canonicalName] ?? l[LABEL.appName] ?? l[LABEL.app] ?? name,
    canonicalRevision: l[LABEL.canonicalRevision] ?? l[LABEL.appVersion] ?? l[LABEL.version] ?? 'latest',
    cluster: clusterId,
  };
}

/**
 * Records what endpointsOf reads: the service's slices and the pods they
 * name, or (without slices) the pods its selector picks; each by key, and
 * which ones there are as namespace members.
 */
function readEndpointSources(svc: Service, world: World, reads: Reads): void {
  const ns = svc.metadata.namespace ?? 'default';
  reads.members('EndpointSlice', ns);
  const slices = endpointSlicesOf(world, ns, svc.metadata.name);
  for (const s of slices) {
    reads.object('EndpointSlice', ns, s.metadata.name);
    for (const e of s.endpoints ?? []) if (e.targetRef?.kind === 'Pod') reads.object('Pod', ns, e.targetRef.name ?? '');
  }
  if (slices.length > 0) return;
  reads.members('Pod', ns);
  for (const pod of podsOfService(svc, world)) reads.object('Pod', ns, pod.metadata.name);
}

/** Endpoints of a service port, with what the waypoint needs to reach each. */
export function endpointIRs(svc: Service, p: ServicePort, world: World, reads: Reads, clusterId: string): EndpointIR[] {
  const ns = svc.metadata.namespace ?? 'default';
  readEndpointSources(svc, world, reads);
  reads.object('Namespace', undefined, ns);
  return endpointsOf(svc, p, world).map((e) => ({
    ip: e.ip,
    port: e.port,
    inMesh: e.pod ? isEnrolled(e.pod, world) : false,
    ready: e.ready,
    workload: workloadRef(e.pod, svc, clusterId),
  }));
}

/** The Services this waypoint serves (ServiceEntries need addresses and are handled elsewhere). */
export function servedServices(ctx: WaypointContext): Service[] {
  const out: Service[] = [];
  for (const s of ctx.index.servicesOf(ctx.waypoint.key)) {
    if (s.kind !== 'Service') continue;
    const ns = s.metadata.namespace;
    const svc = ns
      ? getInNamespace(ctx.world, 'Service', ns, s.metadata.name)
      : get(ctx.world, 'Service', ns, s.metadata.name);
    if (svc) out.push(svc);
  }
  return out;
}
