import {
  readNamespace,
  readReferencing,
  type Service,
  type AuthorizationPolicy,
  type NamespacedObject,
  type RequestAuthentication,
  type Targeting,
} from '../../model';
import type { AuthzPolicyIR, ChainPolicyIR, OutboundClusterIR, ServiceIR, WaypointIR } from '../ir';
import { memoRead, type ReadValue } from '../reads';
import { NOT_SERVICE_TARGETED } from '../refs';
import { sameInput } from '../same-input';
import { OutboundClusters, type ServiceMemo, type ServiceRecord, type ServiceReuse } from './service-reuse';
import { extAuthzProviders, meshAccessLogFormat, meshHttpRetry, trustDomainAliases } from '../mesh-config';
import { meshRetry } from '../route/retry-policy';
import type { WaypointContext } from '../context';
import { authzPolicyIR } from '../policy/authz';
import { jwtRulesIR, resolvedJwks } from '../policy/authn';
import { destinationFor, destinationIndex, portLocalityLb, ruleFor } from './destination-ir';
import { withOutboundPolicies } from './outbound-policy';
import { completeOutboundPorts } from './outbound-ports';
import { defaultHash, tcpProxyFor, withHashPolicies } from './destination-routes';
import { httpRoutesFor } from '../route/http-routes';
import { tcpRoutesFor } from '../route/tcp-routes';
import { attachmentKey, attachmentsOn, policyNamespaces } from '../policy/targeting';
import { applicableTelemetry } from '../policy/telemetry';
import { chainTelemetry, lookupCluster, type ChainTelemetry, type TelemetryInputs } from '../policy/telemetry-chain';
import { meshTelemetry } from '../policy/telemetry-providers';
import { servedServiceEntries } from './service-entries';
import { serviceEntryIRs } from './service-entry-ir';
import { withVirtualServiceHttp, withVirtualServiceTcp } from '../route/vs-routes';
import {
  boundWorkloadIps,
  endpointIRs,
  hostnameOf,
  istioProtocol,
  chainKind,
  servedServices,
  vipsOf,
} from '../services';

type Targeted = NamespacedObject & { spec?: Targeting };

/** Policies of one kind, split into waypoint-wide ones and those per service. */
interface Attached<T> {
  waypoint: T[];
  byService: Map<string, T[]>;
}

function collect<T extends Targeted>(
  ctx: WaypointContext,
  kind: 'AuthorizationPolicy' | 'RequestAuthentication',
  namespaces: string[],
): Attached<T> {
  const out: Attached<T> = { waypoint: [], byService: new Map() };
  for (const ns of namespaces) {
    // A Service's own policies are read by its part (servicePart), by reference.
    const read =
      kind === 'AuthorizationPolicy'
        ? readReferencing(ctx, kind, ns, NOT_SERVICE_TARGETED)
        : readNamespace(ctx, kind, ns);
    // A copy: the namespace list is the World's cached view, shared by every reader.
    const items = [...(read as unknown as readonly T[])].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : 1));
    for (const p of items) {
      for (const a of attachmentsOn(ctx, p)) {
        if (a.scope === 'waypoint') out.waypoint.push(p);
        else {
          const key = attachmentKey(a);
          let l = out.byService.get(key);
          if (!l) out.byService.set(key, (l = []));
          l.push(p);
        }
      }
    }
  }
  return out;
}

/** A waypoint's IR, and what the next translation needs to reuse each service's part of it. */
export interface BuiltIR {
  ir: WaypointIR;
  memo: ServiceMemo;
}

/** Everything one waypoint serves, with every reference resolved. */
export function buildWaypointIR(ctx: WaypointContext): WaypointIR {
  return buildWaypointIRReusing(ctx).ir;
}

/**
 * buildWaypointIR, keeping from `reuse` the part of each served Service
 * none of whose reads (nor the waypoint-wide ones) changed. Each part is
 * built with its reads recorded on their own (Reads.isolated) and the
 * outbound clusters it relied on logged, so reusing it alone records and
 * brings back all it did; the waypoint-wide parts are built every time.
 */
export function buildWaypointIRReusing(ctx: WaypointContext, reuse?: ServiceReuse): BuiltIR {
  const waypointReads = new Set<string>();
  const services = new Map<string, ServiceRecord>();
  const built = ctx.reads.within(waypointReads, () => build(ctx, services, reuse));
  return { ir: built.ir, memo: { waypointReads, services, shared: built.shared } };
}

function build(
  ctx: WaypointContext,
  records: Map<string, ServiceRecord>,
  reuse: ServiceReuse | undefined,
): { ir: WaypointIR; shared: ChainPolicyIR } {
  const wp = ctx.waypoint;
  ctx.reads.object('Gateway', wp.namespace, wp.name);
  ctx.reads.all('GatewayClass');
  const services = servedServices(ctx);
  const entries = servedServiceEntries(ctx);
  const namespaces = policyNamespaces(
    ctx,
    [...services, ...entries].map((s) => s.metadata.namespace),
  );
  const authz = collect<AuthorizationPolicy>(ctx, 'AuthorizationPolicy', namespaces);
  const authn = collect<RequestAuthentication>(ctx, 'RequestAuthentication', namespaces);
  const td = ctx.opts.trustDomain;
  const outbound = new OutboundClusters(ctx.reads);
  const providers = extAuthzProviders(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const aliases = trustDomainAliases(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const telemetryInputs: TelemetryInputs = {
    mesh: meshTelemetry(ctx.world, ctx.opts.rootNamespace, ctx.reads),
    meshFormat: meshAccessLogFormat(ctx.world, ctx.opts.rootNamespace, ctx.reads),
    outbound,
  };
  // Chains with the same Telemetry in scope share one merge result; each
  // records what it read and relies on the clusters it added (providers').
  const telemetryByKey = new Map<string, ReadValue<{ value: ChainTelemetry; log: OutboundClusterIR[] }>>();
  const telemetryOf = (svc?: Service) => {
    const t = applicableTelemetry(ctx, svc);
    const made = memoRead(telemetryByKey, t.key, ctx.reads, () =>
      outbound.logging(() => chainTelemetry(ctx, telemetryInputs, t)),
    );
    outbound.mention(made.log);
    return made.value;
  };
  const waypointTelemetry = telemetryOf();
  const withProvider = (p: AuthorizationPolicy): AuthzPolicyIR => {
    const ir = aliases.length > 0 ? { ...authzPolicyIR(p), trustDomainAliases: aliases } : authzPolicyIR(p);
    if (ir.action !== 'CUSTOM' || !ir.provider) return ir;
    const prov = providers.get(ir.provider);
    // extauthz.go: buildExtAuthzHTTP / buildExtAuthzGRPC resolve `service` as
    // the telemetry providers' does (telemetry_logging.go: LookupCluster), the
    // `<ns>/` part naming whose declaration of the host is meant.
    const found = prov && lookupCluster(ctx, telemetryInputs, prov.service, prov.port, prov.kind === 'grpc');
    if (!prov || !found) return ir;
    const { cluster } = found;
    const { name: provider, host, port, kind, timeoutMs, service: _service, ...rest } = prov;
    return { ...ir, custom: { provider, host, port, kind, cluster, timeoutMs, ...rest } };
  };
  // The waypoint-wide parts, built once. A service with a policy of its own
  // of one kind gets its own list of that kind, and shares the other kinds'
  // lists (so what is built from them, like the JWT filter, is built once).
  const keys = resolvedJwks(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const jwtRules = (ra: RequestAuthentication) => jwtRulesIR(ra, keys);
  const built: ChainPolicyIR = {
    authz: authz.waypoint.map(withProvider),
    jwt: authn.waypoint.flatMap(jwtRules),
    ...waypointTelemetry,
  };
  // The last one when equal: reused parts hold it, and memos downstream key on it.
  const last = reuse?.previousShared;
  const shared = last && sameInput(last, built) ? last : built;
  const policyFor = (svcKey: string, t: ChainTelemetry): ChainPolicyIR => {
    const a = authz.byService.get(svcKey);
    const r = authn.byService.get(svcKey);
    return {
      authz: a ? [...shared.authz, ...a.map(withProvider)] : shared.authz,
      jwt: r ? [...shared.jwt, ...r.flatMap(jwtRules)] : shared.jwt,
      ...t,
    };
  };
  const hasOwnPolicy = (svcKey: string, t: ChainTelemetry) =>
    authz.byService.has(svcKey) || authn.byService.has(svcKey) || t !== waypointTelemetry;
  const serviceIRs: ServiceIR[] = [];
  const rules = destinationIndex(ctx);
  const servicePart = (svc: Service, svcKey: string): ServiceIR => {
    const ns = svc.metadata.namespace;
    // Its policies of `authz.byService` (refs.ts: policyRefs).
    ctx.reads.referencing('AuthorizationPolicy', ns, svcKey);
    const rule = ruleFor(ctx, rules, svc);
    // One object for every service without a policy of its own, so what is
    // built from it (HTTP filters) is built once.
    const t = telemetryOf(svc);
    const policy = hasOwnPolicy(svcKey, t) ? policyFor(svcKey, t) : shared;
    const ports = [];
    for (const p of svc.spec?.ports ?? []) {
      if (p.protocol === 'UDP' || p.protocol === 'SCTP') continue;
      const proto = istioProtocol(p);
      const protocol = chainKind(proto);
      const http =
        protocol === 'tcp'
          ? { routes: [], outbound: [] }
          : withVirtualServiceHttp(ctx, svc, p, httpRoutesFor(ctx, svc, p));
      const tcp =
        protocol === 'http' ? { tcp: [], outbound: [] } : withVirtualServiceTcp(ctx, svc, p, tcpRoutesFor(ctx, svc, p));
      for (const o of [...http.outbound, ...tcp.outbound]) outbound.set(o.cluster, o);
      const endpoints = endpointIRs(svc, p, ctx, ctx.opts.clusterId);
      const destination = destinationFor(ctx, rule, svc, p, endpoints);
      const locality = destination ? {} : portLocalityLb(ctx, svc, p, endpoints);
      const hash = defaultHash(rule);
      const tcpProxy =
        protocol === 'http' ? undefined : tcpProxyFor(ctx, rules, hostnameOf(svc, ctx.opts.domain), tcp.tcp);
      ports.push({
        port: p.port,
        name: p.name ?? '',
        protocol,
        istioProtocol: proto,
        endpoints,
        httpRoutes: withHashPolicies(ctx, rules, http.routes),
        tcpRoutes: tcp.tcp,
        policy,
        ...(destination ? { destination } : {}),
        ...locality,
        ...(hash ? { defaultHash: hash } : {}),
        ...(tcpProxy ? { tcpProxy } : {}),
      });
    }
    return {
      hostname: hostnameOf(svc, ctx.opts.domain),
      namespace: ns,
      name: svc.metadata.name,
      vips: vipsOf(svc),
      ports,
    };
  };
  for (const svc of services) {
    const svcKey = `${svc.metadata.namespace}/${svc.metadata.name}`;
    let record = reuse?.previous(svcKey);
    if (record) {
      ctx.reads.absorb(record.reads);
      for (const o of record.outbound) outbound.set(o.cluster, o);
    } else {
      const reads = new Set<string>();
      const made = ctx.reads.isolated(reads, () => outbound.logging(() => servicePart(svc, svcKey), reads));
      record = { ir: made.value, reads, outbound: made.log };
    }
    records.set(svcKey, record);
    serviceIRs.push(record.ir);
  }
  // A ServiceEntry's chains take the waypoint-wide Telemetry (targetRefs to an entry are not merged yet).
  const ownPolicy = (key: string) =>
    hasOwnPolicy(key, waypointTelemetry) ? policyFor(key, waypointTelemetry) : shared;
  const hosts = new Set(serviceIRs.map((s) => s.hostname));
  serviceIRs.push(...serviceEntryIRs(ctx, entries, ownPolicy, outbound, hosts, rules));
  completeOutboundPorts(ctx, outbound);
  const ir: WaypointIR = {
    namespace: wp.namespace,
    name: wp.name,
    trustDomain: td,
    clusterId: ctx.opts.clusterId,
    services: serviceIRs.sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
    outbound: withOutboundPolicies(
      ctx,
      rules,
      [...outbound.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1)),
    ),
    direct: shared,
    ...defaultRoutesRetry(ctx),
    ...(telemetryInputs.mesh.disableEnvoyListenerLog ? { disableListenerLog: true } : {}),
    workloadIps: boundWorkloadIps(ctx),
  };
  return { ir, shared };
}

/** The default routes' retry policy when the mesh config sets one (route.go: BuildDefaultHTTPOutboundRoute). */
function defaultRoutesRetry(ctx: WaypointContext): Pick<WaypointIR, 'meshRetry'> {
  if (!meshHttpRetry(ctx.world, ctx.opts.rootNamespace, ctx.reads)) return {};
  const retry = meshRetry(ctx);
  return { meshRetry: retry ? { retry } : {} };
}
