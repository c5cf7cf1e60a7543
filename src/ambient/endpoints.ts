import {
  endpointSlicesOf,
  get,
  getInNamespace,
  podsMatching,
  readObject,
  type EndpointSlice,
  type Pod,
  type RecordedWorld,
  type Service,
  type ServicePort,
  type World,
} from '../model';

export interface ServiceEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  pod?: Pod;
}

/** get(world, 'Pod', ns, name), through the namespace's name map when there is a namespace. */
function podNamed(world: World, ns: string, name: string): Pod | undefined {
  return ns ? getInNamespace(world, 'Pod', ns, name) : get(world, 'Pod', ns, name);
}

/** Pods a Service selects (same namespace, running or not). */
export function podsOfService(svc: Service, world: World): Pod[] {
  return podsMatching(world, svc.metadata.namespace ?? 'default', svc.spec?.selector);
}

/**
 * podsOfService, recorded: which pods the namespace has (a pod joining,
 * leaving or relabelled may change the selection) and each one picked.
 */
function selectedPods(svc: Service, from: RecordedWorld): Pod[] {
  const ns = svc.metadata.namespace ?? 'default';
  from.reads.members('Pod', ns);
  const pods = podsOfService(svc, from.world);
  for (const pod of pods) from.reads.object('Pod', ns, pod.metadata.name);
  return pods;
}

/** A Service's EndpointSlices, recorded: which slices the namespace has, and each one read. */
function slicesOf(svc: Service, from: RecordedWorld): readonly EndpointSlice[] {
  const ns = svc.metadata.namespace ?? 'default';
  from.reads.members('EndpointSlice', ns);
  const slices = endpointSlicesOf(from.world, ns, svc.metadata.name);
  for (const s of slices) from.reads.object('EndpointSlice', ns, s.metadata.name);
  return slices;
}

/**
 * Pods that back a Service: those its EndpointSlices point at when it has
 * slices (a cluster, or a Service without selector whose slices are written
 * by hand), otherwise those its selector picks. Sorted by name.
 */
export function backingPods(svc: Service, world: World): Pod[] {
  const ns = svc.metadata.namespace ?? 'default';
  const slices = endpointSlicesOf(world, ns, svc.metadata.name);
  if (slices.length === 0) return podsOfService(svc, world);
  const out = new Map<string, Pod>();
  for (const s of slices)
    for (const e of s.endpoints ?? []) {
      const ref = e.targetRef;
      if (ref?.kind !== 'Pod' || !ref.name) continue;
      const pod = podNamed(world, ref.namespace ?? ns, ref.name);
      if (pod) out.set(pod.metadata.name, pod);
    }
  return [...out.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
}

function podIps(p: Pod): string[] {
  const ips = (p.status?.podIPs ?? []).map((x) => x.ip);
  if (ips.length === 0 && p.status?.podIP) ips.push(p.status.podIP);
  return ips;
}

function podReady(p: Pod): boolean {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? c.status === 'True' : p.status?.phase === 'Running';
}

function resolveTargetPort(sp: ServicePort, pod: Pod | undefined): number | undefined {
  const t = sp.targetPort;
  if (t === undefined) return sp.port;
  if (typeof t === 'number') return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod?.spec?.containers ?? [])
    for (const cp of c.ports ?? []) if (cp.name === t) return cp.containerPort;
  return undefined;
}

/**
 * Endpoints of one service port. EndpointSlices are the truth when they
 * exist (a cluster); a manifest directory often has none, so pods selected
 * by the service stand in for them. Each read is recorded in `from.reads`
 * as it is made.
 */
export function endpointsOf(svc: Service, sp: ServicePort, from: RecordedWorld): ServiceEndpoint[] {
  const ns = svc.metadata.namespace ?? 'default';
  const slices = slicesOf(svc, from);
  const out: ServiceEndpoint[] = [];
  if (slices.length > 0) {
    for (const s of slices) {
      if (s.addressType === 'FQDN') continue;
      const port =
        (s.ports ?? []).find((p) => (p.name ?? '') === (sp.name ?? '')) ??
        (s.ports?.length === 1 ? s.ports[0] : undefined);
      for (const e of s.endpoints ?? []) {
        const pod = e.targetRef?.kind === 'Pod' ? readObject(from, 'Pod', ns, e.targetRef.name ?? '') : undefined;
        const p = port?.port ?? resolveTargetPort(sp, pod);
        if (p === undefined) continue;
        for (const ip of e.addresses) out.push({ ip, port: p, ready: e.conditions?.ready !== false, pod });
      }
    }
  } else {
    for (const pod of selectedPods(svc, from)) {
      const p = resolveTargetPort(sp, pod);
      if (p === undefined) continue;
      for (const ip of podIps(pod)) out.push({ ip, port: p, ready: podReady(pod), pod });
    }
  }
  return out.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
}
