// Who calls whom: the --from workload (its IP and SPIFFE identity) and the
// --to destination (a Service, ServiceEntry, pod or workload entry), and the
// waypoint binding the ambient index recorded for it (ambient/binding.ts,
// after istiod's ambient index: the object's istio.io/use-waypoint label,
// else its namespace's).
import { singleAddressOf } from '../model';
import { cidrContains, parseCidr, parseIp } from '../model/values';
import {
  get,
  LABEL,
  list,
  keyOf,
  NONE,
  type KubeObject,
  type Pod,
  type Service,
  type ServiceEntry,
  type World,
  type WorkloadEntry,
} from '../model';
import type { AmbientIndex } from '../ambient';

/** The label that opts a ServiceEntry out of address allocation. */
const AUTO_ALLOCATE_LABEL = 'networking.istio.io/enable-autoallocate-ip';

export interface Source {
  /** `<ns>/<name>` of the pod or workload entry, when known. */
  workload?: string;
  namespace?: string;
  ip?: string;
  principal?: string;
  serviceAccount?: string;
}

export interface Destination {
  kind: 'Service' | 'ServiceEntry' | 'Pod' | 'WorkloadEntry';
  /** `<Kind>/<ns>/<name>`: the ambient index's key. */
  key: string;
  name: string;
  namespace: string;
  /** The address ztunnel captured: the VIP, or the workload's IP. */
  ip?: string;
  port: number;
  /** The Service port name (or ServiceEntry port name) for the port, when declared. */
  portName?: string;
  host: string;
}

export interface WaypointChoice {
  /** `<ns>/<name>` of the waypoint, absent when none serves the destination. */
  waypoint?: string;
  /** Why: the label that chose it, or why it is not used. */
  reason: string;
  /** BIND_REASON when not bound for a reason the status reports. */
  code?: string;
  /** object: the destination's own label; namespace: its namespace's. */
  source?: 'object' | 'namespace';
  trafficType?: string;
  canary?: string;
}

const ipOf = (s: string): string | undefined => {
  const r = parseIp(s.replace(/^\[|\]$/g, ''));
  return r.ok ? r.value.text : undefined;
};

/** `host:port` (or `[v6]:port`); the port defaults to 80. */
export function splitTarget(to: string): { host: string; port: number; portGiven: boolean } {
  const t = to.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (v6) return { host: v6[1] ?? '', port: v6[2] ? Number(v6[2]) : 80, portGiven: v6[2] !== undefined };
  const m = /^(.*):(\d+)$/.exec(t);
  if (m && !ipOf(t)) return { host: m[1] ?? '', port: Number(m[2]), portGiven: true };
  return { host: t, port: 80, portGiven: false };
}

function podIps(p: Pod): string[] {
  return [p.status?.podIP, ...(p.status?.podIPs ?? []).map((x) => x.ip)].filter((x): x is string => !!x);
}

function vipsOf(s: Service): string[] {
  return [s.spec?.clusterIP, ...(s.spec?.clusterIPs ?? [])].filter((x): x is string => !!x && x !== 'None');
}

/**
 * An entry's addresses: its own (a /32 is an address, a wider CIDR a range), else
 * those istiod's allocator wrote into status for the host, unless the entry opts
 * out of allocation (ip_autoallocation.go: ShouldV2AutoAllocateIP).
 */
function seAddresses(se: ServiceEntry, host?: string): string[] {
  const own = (se.spec?.addresses ?? []).map(singleAddressOf);
  if (own.length > 0) return own;
  if (se.metadata.labels?.[AUTO_ALLOCATE_LABEL] === 'false') return [];
  return (se.status?.addresses ?? []).filter((a) => !host || !a.host || hostMatches(a.host, host)).map((a) => a.value);
}

/** Whether an address (or CIDR range) of an entry holds `ip`. */
function holds(address: string, ip: string): boolean {
  if (!address.includes('/')) return ipOf(address) === ip;
  const range = parseCidr(address);
  const a = parseIp(ip);
  return range.ok && a.ok && cidrContains(range.value, a.value);
}

function hostMatches(pattern: string, host: string): boolean {
  return pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)));
}

/** Finds the destination a client addresses by name or IP, as ztunnel would capture it. */
export function resolveDestination(world: World, to: string, defaultNs: string, domain = 'cluster.local'): Destination {
  const { host, port } = splitTarget(to);
  const ip = ipOf(host);
  const svcPort = (s: Service) => s.spec?.ports?.find((p) => p.port === port)?.name;
  const sePort = (s: ServiceEntry) => s.spec?.ports?.find((p) => p.number === port)?.name;
  const base = (o: KubeObject, kind: Destination['kind']) => ({
    kind,
    key: keyOf(o),
    name: o.metadata.name,
    namespace: o.metadata.namespace ?? 'default',
    port,
    host,
  });
  if (ip) {
    const s = list(world, 'Service').find((x) => vipsOf(x).some((v) => ipOf(v) === ip));
    if (s) return { ...base(s, 'Service'), ip, ...opt('portName', svcPort(s)) };
    const se = list(world, 'ServiceEntry').find((x) => seAddresses(x).some((v) => holds(v, ip)));
    if (se) return { ...base(se, 'ServiceEntry'), ip, ...opt('portName', sePort(se)) };
    const p = list(world, 'Pod').find((x) => podIps(x).some((v) => ipOf(v) === ip));
    if (p) return { ...base(p, 'Pod'), ip };
    const we = list(world, 'WorkloadEntry').find((x) => x.spec?.address !== undefined && ipOf(x.spec.address) === ip);
    if (we) return { ...base(we, 'WorkloadEntry'), ip };
    throw new ExplainError(`no Service, ServiceEntry, pod or workload entry has the address ${ip}`);
  }
  const name = host.replace(/\.$/, '').toLowerCase();
  const parts = name.split('.');
  const suffix = `.svc.${domain}`;
  let svcName: string | undefined;
  let svcNs: string | undefined;
  if (parts.length === 1) [svcName, svcNs] = [parts[0], defaultNs];
  else if (parts.length === 2 || (parts.length === 3 && parts[2] === 'svc') || name.endsWith(suffix))
    [svcName, svcNs] = [parts[0], parts[1]];
  if (svcName !== undefined && svcNs !== undefined) {
    const s = list(world, 'Service').find(
      (x) => x.metadata.name === svcName && (x.metadata.namespace ?? 'default') === svcNs,
    );
    if (s) return { ...base(s, 'Service'), ...opt('ip', vipsOf(s)[0]), ...opt('portName', svcPort(s)) };
  }
  const se = list(world, 'ServiceEntry').find((x) => (x.spec?.hosts ?? []).some((h) => hostMatches(h, name)));
  if (se)
    return {
      ...base(se, 'ServiceEntry'),
      ...opt(
        'ip',
        seAddresses(se, name).find((a) => !a.includes('/')),
      ),
      ...opt('portName', sePort(se)),
    };
  throw new ExplainError(`no Service or ServiceEntry is called ${host}`);
}

function opt<K extends string, V>(k: K, v: V | undefined): { [P in K]?: V } {
  return (v === undefined ? {} : { [k]: v }) as { [P in K]?: V };
}

/** A source given as a pod (`ns/name`, `name`, a Deployment-like prefix) or an IP. */
export function resolveSource(world: World, from: string | undefined, defaultNs: string, trustDomain: string): Source {
  if (from === undefined) return {};
  const identity = (o: Pod | WorkloadEntry, ip: string | undefined): Source => {
    const ns = o.metadata.namespace ?? 'default';
    const sa = (o.kind === 'Pod' ? o.spec?.serviceAccountName : (o as WorkloadEntry).spec?.serviceAccount) ?? 'default';
    return {
      workload: `${ns}/${o.metadata.name}`,
      namespace: ns,
      ...opt('ip', ip),
      serviceAccount: sa,
      principal: `spiffe://${trustDomain}/ns/${ns}/sa/${sa}`,
    };
  };
  const ip = ipOf(from);
  if (ip) {
    const p = list(world, 'Pod').find((x) => podIps(x).some((v) => ipOf(v) === ip));
    if (p) return identity(p, ip);
    const we = list(world, 'WorkloadEntry').find((x) => x.spec?.address !== undefined && ipOf(x.spec.address) === ip);
    if (we) return identity(we, ip);
    return { ip };
  }
  const [ns, name] = from.includes('/') ? from.split('/', 2) : [undefined, from];
  const pods = list(world, 'Pod').filter((p) => ns === undefined || (p.metadata.namespace ?? 'default') === ns);
  const candidates = [
    pods.filter((p) => p.metadata.name === name),
    pods.filter((p) => p.metadata.name.startsWith(`${name}-`) || p.metadata.labels?.app === name),
  ];
  for (const c of candidates) {
    const inNs = c.filter((p) => (p.metadata.namespace ?? 'default') === (ns ?? defaultNs));
    const pick = inNs[0] ?? c[0];
    if (pick) return identity(pick, podIps(pick)[0]);
  }
  const we = list(world, 'WorkloadEntry').find(
    (x) => x.metadata.name === name && (ns === undefined || x.metadata.namespace === ns),
  );
  if (we) return identity(we, we.spec?.address);
  throw new ExplainError(`no pod or workload entry ${from}`);
}

/** The waypoint the index bound the destination to, and the reason in words. */
export function waypointOf(index: AmbientIndex, d: Destination): WaypointChoice {
  const b = index.bindings.get(d.key);
  const obj = `${d.kind} ${d.namespace}/${d.name}`;
  if (!b || b.kind === 'unbound') {
    if (b?.reason) return { reason: `${b.reason.reason}: ${b.reason.message}`, code: b.reason.reason };
    return { reason: unboundWhy(index, d, obj) };
  }
  const wp = `${b.waypoint.namespace}/${b.waypoint.name}`;
  const labelled = b.source === 'object' ? obj : `namespace ${d.namespace}`;
  const nsNote = b.waypoint.namespace !== d.namespace ? ` (${LABEL.useWaypointNamespace}=${b.waypoint.namespace})` : '';
  const own = b.source === 'namespace' ? `; ${obj} has no label of its own` : '';
  const canary = index.canaryFor(d.key);
  return {
    waypoint: wp,
    reason: `${labelled} has label ${LABEL.useWaypoint}=${b.waypoint.name}${nsNote}${own}`,
    source: b.source,
    ...opt('trafficType', index.waypoints.get(wp)?.trafficType),
    ...opt('canary', canary?.key),
  };
}

/** Why an object with no bind reason has no waypoint, from the labels the binding read. */
function unboundWhy(index: AmbientIndex, d: Destination, what: string): string {
  const own = get(index.world, d.kind, d.namespace, d.name)?.metadata.labels ?? {};
  const ns = get(index.world, 'Namespace', undefined, d.namespace)?.metadata.labels ?? {};
  const labels = own[LABEL.useWaypoint] !== undefined ? own : ns;
  const where = own[LABEL.useWaypoint] !== undefined ? what : `namespace ${d.namespace}`;
  const name = labels[LABEL.useWaypoint];
  if (name === undefined) return `neither ${what} nor namespace ${d.namespace} has the label ${LABEL.useWaypoint}`;
  if (name === NONE || name === '') return `${where} opts out (${LABEL.useWaypoint}=${name})`;
  const key = `${labels[LABEL.useWaypointNamespace] ?? d.namespace}/${name}`;
  const wp = index.waypoints.get(key);
  const wanted = d.kind === 'Pod' || d.kind === 'WorkloadEntry' ? 'workload' : 'service';
  if (wp && wp.trafficType !== 'all' && wp.trafficType !== wanted)
    return `${where} names waypoint ${key}, which takes ${wp.trafficType} traffic only, not ${wanted} traffic`;
  return `${where} names waypoint ${key}, which does not serve it`;
}

export class ExplainError extends Error {}
