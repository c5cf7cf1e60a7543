import { podNode, workloadLocality } from '../locality';
import { isEnrolled, isEnrolledIn, waypointKey, type AmbientIndex, type Binding, type Waypoint } from '../../ambient';
import { waypointExtrasIn, type WaypointExtras } from '../../ambient/canary';
import { TypeUrl, type MessageName, type PreparedResource, type TypeMap } from '../../envoy';
import { ipBytes, ownBytes } from './ip-bytes';
import { checkedValue, isIpAddress, maskedBytes, parseCidr } from '../../model/values';
import {
  get,
  inNamespace,
  keyOf,
  LABEL,
  list,
  matchesLabels,
  targetPortOf,
  type AuthorizationPolicy,
  type KindMap,
  type KindName,
  type Pod,
  type Namespace,
  type Node,
  type Service,
  type ServiceEntry,
  type WorkloadEntry,
  type World,
} from '../../model';
import type { TranslateOptions } from '../context';
import { HBONE_PORT, serviceHostname } from '../names';
import { hostnameOf, vipsOf } from '../services';
import { hostAddresses, resolutionOf, serviceEntryProtocol } from '../waypoint/service-entries';
import type { IstioProtocol } from '../ir';
import { targetRefsOf } from '../policy/targeting';
import { authorizationMsg } from './ztunnel-authz';
import { Reuse } from '../reuse';
import { fromInput } from '../recipe';
import { servicesSelecting } from './selecting-services';
import { DEFAULT_CANONICAL_REVISION, gatewayAddressType, podServiceAccount } from '../../model/defaults';

type WorkloadMsg = TypeMap['istio.workload.Workload'];
type AddressMsg = TypeMap['istio.workload.Address'];
type ServiceMsg = TypeMap['istio.workload.Service'];
type GatewayAddress = TypeMap['istio.workload.GatewayAddress'];
type AuthorizationMsg = TypeMap['istio.security.Authorization'];
type AppProtocol = NonNullable<TypeMap['istio.workload.Port']['app_protocol']>;

/** The uid ztunnel keys workloads by: `<cluster>//Pod/<ns>/<name>`. */
export function workloadUid(cluster: string, pod: Pod): string {
  return `${cluster}//Pod/${pod.metadata.namespace}/${pod.metadata.name}`;
}

/** `<ns>/<hostname>`: the name of a service in the workload API. */
export function serviceResourceName(svc: Service, domain: string): string {
  return `${svc.metadata.namespace}/${hostnameOf(svc, domain)}`;
}

/**
 * How ztunnel reaches a waypoint (waypoints.go: getGatewayAddress): the
 * Gateway's Hostname status address when it has one (a hostname is a steadier
 * key than an IP), else its first IP address. A Gateway without status
 * addresses (directory mode, where nothing deploys it) is named by the
 * hostname of the Service its deployment would get.
 */
function gatewayAddress(wp: Waypoint, domain: string): GatewayAddress {
  const status = wp.gateway.status?.addresses ?? [];
  const host = status.find((a) => a.type === 'Hostname' && a.value !== '');
  if (host) return { hostname: { namespace: wp.namespace, hostname: host.value }, hbone_mtls_port: HBONE_PORT };
  // The Gateway API defaults an address's type to IPAddress.
  const ip = status.find((a) => gatewayAddressType(a) === 'IPAddress' && isIpAddress(a.value))?.value;
  if (ip) return { address: { network: '', address: ipBytes(ip) }, hbone_mtls_port: HBONE_PORT };
  return {
    hostname: { namespace: wp.namespace, hostname: serviceHostname(wp.name, wp.namespace, domain) },
    hbone_mtls_port: HBONE_PORT,
  };
}

function boundWaypoint(index: AmbientIndex, key: string): Waypoint | undefined {
  return waypointOf(index.bindings.get(key), index.waypoints);
}

function waypointOf(b: Binding | undefined, waypoints: Waypoints): Waypoint | undefined {
  return b?.kind === 'bound' ? waypoints.get(waypointKey(b.waypoint)) : undefined;
}

type Waypoints = AmbientIndex['waypoints'];

function targetPort(
  svc: Service,
  port: NonNullable<Service['spec']>['ports'] extends (infer P)[] | undefined ? P : never,
  pod?: Pod,
): number {
  const t = targetPortOf(port.targetPort);
  if (!t) return port.port;
  if ('port' in t) return t.port;
  for (const c of pod?.spec?.containers ?? [])
    for (const cp of c.ports ?? []) if (cp.name === t.name) return cp.containerPort;
  return 0;
}

/**
 * Everything a Service's message is built from: serviceMsg reads this and
 * nothing else, so the memo's comparison of these fields is what the message
 * depends on. Its namespace's labels carry the ingress and canary settings.
 */
interface ServiceInput {
  svc: Service;
  namespace: Namespace | undefined;
  binding: Binding | undefined;
  waypoints: Waypoints;
  domain: string;
}

/**
 * A Service as ztunnel sees it; a bound one also says whether ingress
 * gateways use its waypoint and which waypoints share it (services.go:
 * serviceServiceBuilder, waypoints.go: buildWeightedWaypoints).
 */
function serviceMsg({ svc, namespace, binding, waypoints, domain }: ServiceInput): ServiceMsg {
  const wp = waypointOf(binding, waypoints);
  return {
    name: svc.metadata.name,
    namespace: svc.metadata.namespace,
    hostname: hostnameOf(svc, domain),
    addresses: vipsOf(svc).map((ip) => ({ network: '', address: ipBytes(ip) })),
    ports: (svc.spec?.ports ?? []).map((p) => ({ service_port: p.port, target_port: targetPort(svc, p) })),
    ...(wp ? { waypoint: gatewayAddress(wp, domain) } : {}),
    ...(wp ? extrasFields(waypointExtrasIn(svc, binding, namespace, waypoints), domain) : {}),
  };
}

// Deployment pods are named <deployment>-<replicaset hash>-<pod hash>.
function deploymentName(pod: Pod): string | undefined {
  const m = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(pod.metadata.name);
  return m?.[1];
}

function podReady(p: Pod): boolean {
  const c = p.status?.conditions?.find((x) => x.type === 'Ready');
  return c ? c.status === 'True' : p.status?.phase === 'Running';
}

/**
 * Everything a pod's message is built from, as objects that keep their
 * identity while unchanged (the World and the index share structure between
 * versions): workloadMsg reads this and nothing else, so the memo's
 * comparison of these fields is what the message depends on. Of the
 * namespace's AuthorizationPolicies only the names of those selecting the
 * pod count, as one string: editing any other policy (a waypoint's, by
 * targetRefs) leaves every pod's message as it was.
 */
interface WorkloadInput {
  pod: Pod;
  namespace: Namespace | undefined;
  /** The Services of the pod's namespace. */
  services: readonly Service[];
  /** Names (`ns/name`) of the policies that select the pod, sorted, one a line. */
  policies: string;
  binding: Binding | undefined;
  waypoints: Waypoints;
  node: Node | undefined;
  clusterId: string;
  trustDomain: string;
  domain: string;
}

type Memo<I, T> = WeakMap<object, { input: I; value: T }>;

/** Whether every field of two inputs is the same object (or value). */
function sameFields<I extends object>(a: I, b: I): boolean {
  for (const k in a) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * `make(input)` for `owner`, again only when a field of `input` is not the
 * same as last time. `make` receives the input alone: what is compared is
 * what it reads.
 */
function memoised<I extends object, T>(memo: Memo<I, T>, owner: object, input: I, make: (input: I) => T): T {
  const m = memo.get(owner);
  if (m && sameFields(m.input, input)) return m.value;
  const value = make(input);
  memo.set(owner, { input, value });
  return value;
}

// Messages are memoised on the objects they read: building a pod's scans its
// namespace's services, so rebuilding every pod's on each change is
// O(pods × services), and unchanged messages keep their identity for Reuse.
const WORKLOAD_MEMO: Memo<WorkloadInput, WorkloadMsg> = new WeakMap();
const SERVICE_MEMO: Memo<ServiceInput, ServiceMsg> = new WeakMap();
const AUTHZ_MEMO: Memo<AuthzInput, AuthorizationMsg | undefined> = new WeakMap();

/** What a policy's ztunnel message is built from. */
interface AuthzInput {
  policy: AuthorizationPolicy;
  rootNamespace: string;
}

const authzMsg = (i: AuthzInput) => authorizationMsg(i.policy, i.rootNamespace);

function workloadMsg(i: WorkloadInput): WorkloadMsg {
  const { pod } = i;
  const l = pod.metadata.labels ?? {};
  const ns = pod.metadata.namespace;
  const services: Record<string, { ports: { service_port: number; target_port: number }[] }> = {};
  for (const svc of servicesSelecting(i.services, l)) {
    services[serviceResourceName(svc, i.domain)] = {
      ports: (svc.spec?.ports ?? []).map((p) => ({ service_port: p.port, target_port: targetPort(svc, p, pod) })),
    };
  }
  const wp = waypointOf(i.binding, i.waypoints);
  const deployment = deploymentName(pod);
  const locality = workloadLocality(i.node);
  const ips = (pod.status?.podIPs ?? []).map((x) => x.ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return {
    uid: workloadUid(i.clusterId, pod),
    name: pod.metadata.name,
    namespace: ns,
    addresses: ips.map(ipBytes),
    network: '',
    tunnel_protocol: isEnrolledIn(pod, i.namespace) ? 'HBONE' : 'NONE',
    trust_domain: i.trustDomain,
    service_account: podServiceAccount(pod.spec),
    node: pod.spec?.nodeName ?? '',
    canonical_name: l[LABEL.canonicalName] ?? l[LABEL.appName] ?? l[LABEL.app] ?? deployment ?? pod.metadata.name,
    canonical_revision:
      l[LABEL.canonicalRevision] ?? l[LABEL.appVersion] ?? l[LABEL.version] ?? DEFAULT_CANONICAL_REVISION,
    workload_type: deployment ? 'DEPLOYMENT' : 'POD',
    workload_name: deployment ?? pod.metadata.name,
    services,
    status: podReady(pod) ? 'HEALTHY' : 'UNHEALTHY',
    cluster_id: i.clusterId,
    authorization_policies: i.policies === '' ? [] : i.policies.split('\n'),
    ...(wp ? { waypoint: gatewayAddress(wp, i.domain) } : {}),
    ...(locality ? { locality } : {}),
  };
}

/**
 * The policies of a namespace that apply by workload selector (istiod's
 * ztunnel policies: no targetRefs, a selector), once per namespace build.
 */
function selectorPoliciesOf(world: World, ns: string): readonly AuthorizationPolicy[] {
  return inNamespace(world, 'AuthorizationPolicy', ns).filter(
    (p) => targetRefsOf(p.spec).length === 0 && p.spec?.selector,
  );
}

/** Names (`ns/name`, sorted) of those that select the pod. */
function selectorPolicies(candidates: readonly AuthorizationPolicy[], pod: Pod): string[] {
  return candidates
    .filter((p) => matchesLabels(p.spec?.selector?.matchLabels, pod.metadata.labels))
    .map((p) => `${p.metadata.namespace}/${p.metadata.name}`)
    .sort();
}

/** workloads.go: toAppProtocolFromProtocol. */
const APP_PROTOCOL: Readonly<Partial<Record<IstioProtocol, AppProtocol>>> = {
  http: 'HTTP11',
  http2: 'HTTP2',
  grpc: 'GRPC',
  tls: 'TLS',
  https: 'TLS',
  tcp: 'TCP',
};

/** The ingress and canary fields of a bound service (services.go: serviceServiceBuilder, serviceEntryServiceBuilder). */
function extrasFields(extras: WaypointExtras | undefined, domain: string) {
  return {
    ...(extras?.ingressUseWaypoint ? { ingress_use_waypoint: true } : {}),
    ...(extras?.weighted
      ? {
          weighted_waypoints: extras.weighted.map((w) => ({
            destination: gatewayAddress(w.waypoint, domain),
            weight: w.weight,
          })),
        }
      : {}),
  };
}

/**
 * A ServiceEntry is one service per host (services.go:
 * constructServiceEntries): the entry's addresses, else those allocated to
 * the host (the same ones its waypoint matches, service-entries.ts:
 * hostAddresses), its ports with their protocol, and its subjectAltNames.
 */
function serviceEntryMsgs(se: ServiceEntry, world: World, index: AmbientIndex, opts: TranslateOptions): ServiceMsg[] {
  const ns = se.metadata.namespace;
  const key = `ServiceEntry/${ns}/${se.metadata.name}`;
  const wp = boundWaypoint(index, key);
  const nsObj = get(world, 'Namespace', undefined, ns);
  const extras = wp
    ? extrasFields(waypointExtrasIn(se, index.bindings.get(key), nsObj, index.waypoints), opts.domain)
    : {};
  const ports = (se.spec?.ports ?? []).map((p) => {
    const app = APP_PROTOCOL[serviceEntryProtocol(p)];
    return { service_port: p.number, target_port: p.targetPort ?? p.number, ...(app ? { app_protocol: app } : {}) };
  });
  const sans = se.spec?.subjectAltNames ?? [];
  // A NONE entry's traffic goes where it was addressed (constructServiceEntries).
  const lb = resolutionOf(se) === 'NONE' ? { load_balancing: { mode: 'PASSTHROUGH', health_policy: 'ALLOW_ALL' } } : {};
  return (se.spec?.hosts ?? []).map((host) => ({
    name: se.metadata.name,
    namespace: ns,
    hostname: host,
    addresses: hostAddresses(se, host).map(networkAddress),
    ports,
    ...(sans.length > 0 ? { subject_alt_names: sans } : {}),
    ...(wp ? { waypoint: gatewayAddress(wp, opts.domain) } : {}),
    ...(lb as Pick<ServiceMsg, 'load_balancing'>),
    ...extras,
  }));
}

/** helpers.go: toNetworkAddressFromCidr — a range as its masked address and length. */
function networkAddress(a: string): NonNullable<ServiceMsg['addresses']>[number] {
  if (!a.includes('/')) return { network: '', address: ipBytes(a) };
  const c = checkedValue(parseCidr, a);
  return { network: '', address: ownBytes(maskedBytes(c)), length: c.prefixLen };
}

/** A WorkloadEntry (a VM or other non-pod workload) with the ServiceEntries that select it. */
function workloadEntryMsg(
  we: WorkloadEntry,
  world: World,
  index: AmbientIndex,
  opts: TranslateOptions,
): WorkloadMsg | undefined {
  const addr = we.spec?.address;
  if (!addr || !isIpAddress(addr)) return undefined;
  const ns = we.metadata.namespace;
  const labels = { ...(we.metadata.labels ?? {}), ...(we.spec?.labels ?? {}) };
  const services: Record<string, { ports: { service_port: number; target_port: number }[] }> = {};
  for (const se of inNamespace(world, 'ServiceEntry', ns)) {
    if (!matchesLabels(se.spec?.workloadSelector?.labels, labels)) continue;
    for (const host of se.spec?.hosts ?? []) {
      services[`${ns}/${host}`] = {
        ports: (se.spec?.ports ?? []).map((p) => ({
          service_port: p.number,
          target_port: we.spec?.ports?.[p.name] ?? p.targetPort ?? p.number,
        })),
      };
    }
  }
  const wp = boundWaypoint(index, `WorkloadEntry/${ns}/${we.metadata.name}`);
  return {
    uid: `${opts.clusterId}//WorkloadEntry/${ns}/${we.metadata.name}`,
    name: we.metadata.name,
    namespace: ns,
    addresses: [ipBytes(addr)],
    network: we.spec?.network ?? '',
    tunnel_protocol: isEnrolled(we, world) ? 'HBONE' : 'NONE',
    trust_domain: opts.trustDomain,
    // As written, empty when unset: istiod does not default it (workloads.go: workloadEntryWorkloadBuilder).
    service_account: we.spec?.serviceAccount ?? '',
    canonical_name: labels[LABEL.canonicalName] ?? labels[LABEL.app] ?? we.metadata.name,
    canonical_revision: labels[LABEL.canonicalRevision] ?? labels[LABEL.version] ?? DEFAULT_CANONICAL_REVISION,
    workload_type: 'POD',
    workload_name: we.metadata.name,
    services,
    status: 'HEALTHY',
    cluster_id: opts.clusterId,
    ...(wp ? { waypoint: gatewayAddress(wp, opts.domain) } : {}),
  };
}

/** A message that is its own resource: equal messages encode to equal bytes. */
const itself = <T>(msg: T): T => msg;
const serviceAddress = (service: ServiceMsg): AddressMsg => ({ service });
const workloadAddress = (workload: WorkloadMsg): AddressMsg => ({ workload });

/**
 * Every workload-API resource: services and workloads (Address), their
 * Workload twins, and L4 policies; with `namespace`, only that namespace's.
 * Everything a namespace's resources read is in that namespace (or is the
 * waypoints), so a view can be built and kept one namespace at a time.
 */
export function buildWorkloadApi(
  world: World,
  index: AmbientIndex,
  opts: TranslateOptions,
  reuse: Reuse = new Reuse(),
  namespace?: string,
): Map<string, PreparedResource[]> {
  const of = <K extends KindName>(kind: K): readonly KindMap[K][] =>
    namespace === undefined ? list(world, kind) : inNamespace(world, kind, namespace);
  // Each message is its own input: equal messages encode to equal bytes.
  const encode = <N extends MessageName>(message: N, name: string, msg: TypeMap[N]) =>
    reuse.prepare(message, fromInput(name, msg, itself));
  const addresses: PreparedResource[] = [];
  const workloads: PreparedResource[] = [];
  const selectorCandidates = new Map<string, readonly AuthorizationPolicy[]>();
  for (const svc of of('Service')) {
    if (vipsOf(svc).length === 0) continue;
    const input: ServiceInput = {
      svc,
      namespace: get(world, 'Namespace', undefined, svc.metadata.namespace),
      binding: index.bindings.get(keyOf(svc)),
      waypoints: index.waypoints,
      domain: opts.domain,
    };
    const m = memoised(SERVICE_MEMO, svc, input, serviceMsg);
    addresses.push(
      reuse.prepare('istio.workload.Address', fromInput(serviceResourceName(svc, opts.domain), m, serviceAddress)),
    );
  }
  for (const pod of of('Pod')) {
    if (!pod.status?.podIP && !(pod.status?.podIPs ?? []).length) continue;
    const ns = pod.metadata.namespace;
    let candidates = selectorCandidates.get(ns);
    if (!candidates) selectorCandidates.set(ns, (candidates = selectorPoliciesOf(world, ns)));
    const input: WorkloadInput = {
      pod,
      namespace: get(world, 'Namespace', undefined, ns),
      services: inNamespace(world, 'Service', ns),
      policies: selectorPolicies(candidates, pod).join('\n'),
      binding: index.bindings.get(`Pod/${ns}/${pod.metadata.name}`),
      waypoints: index.waypoints,
      node: podNode(pod, world),
      clusterId: opts.clusterId,
      trustDomain: opts.trustDomain,
      domain: opts.domain,
    };
    const w = memoised(WORKLOAD_MEMO, pod, input, workloadMsg);
    // `w` is the input of both: an unchanged pod keeps the same message object.
    addresses.push(reuse.prepare('istio.workload.Address', fromInput(w.uid ?? '', w, workloadAddress)));
    workloads.push(encode('istio.workload.Workload', w.uid ?? '', w));
  }
  for (const se of of('ServiceEntry')) {
    for (const m of serviceEntryMsgs(se, world, index, opts))
      addresses.push(encode('istio.workload.Address', `${m.namespace}/${m.hostname}`, { service: m }));
  }
  for (const we of of('WorkloadEntry')) {
    const w = workloadEntryMsg(we, world, index, opts);
    if (!w) continue;
    addresses.push(encode('istio.workload.Address', w.uid ?? '', { workload: w }));
    workloads.push(encode('istio.workload.Workload', w.uid ?? '', w));
  }
  const authz: PreparedResource[] = [];
  for (const p of of('AuthorizationPolicy')) {
    const msg = memoised(AUTHZ_MEMO, p, { policy: p, rootNamespace: opts.rootNamespace }, authzMsg);
    if (msg) authz.push(encode('istio.security.Authorization', `${p.metadata.namespace}/${p.metadata.name}`, msg));
  }
  return new Map([
    [TypeUrl.Address, addresses],
    [TypeUrl.Workload, workloads],
    [TypeUrl.Authorization, authz],
  ]);
}
