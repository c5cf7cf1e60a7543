import {
  get,
  inNamespace,
  type Service,
  type AuthorizationPolicy,
  type KubeObject,
  type RequestAuthentication,
  type Targeting,
  type Telemetry,
} from '../model';
import type {
  AccessLogFormatIR,
  AccessLogIR,
  AuthzPolicyIR,
  ChainPolicyIR,
  OutboundClusterIR,
  ServiceIR,
  WaypointIR,
} from './ir';
import { extAuthzProviders, meshAccessLogFormat, trustDomainAliases } from './mesh-config';
import { ACCESS_LOG_STDOUT, outbound as outboundName } from './names';
import type { WaypointContext } from './context';
import { authzPolicyIR } from './authz';
import { jwtRulesIR, resolvedJwks } from './authn';
import { httpRoutesFor } from './http-routes';
import { tcpRoutesFor } from './tcp-routes';
import { withVirtualServiceHttp, withVirtualServiceTcp } from './vs-routes';
import { attachmentsOn, policyNamespaces, targetRefsOf } from './targeting';
import {
  boundWorkloadIps,
  endpointIRs,
  hostnameOf,
  istioProtocol,
  chainKind,
  servedServices,
  vipsOf,
} from './services';

type Targeted = KubeObject & { spec?: Targeting };

/** Policies of one kind, split into waypoint-wide ones and those per service. */
interface Attached<T> {
  waypoint: T[];
  byService: Map<string, T[]>;
}

function collect<T extends Targeted>(
  ctx: WaypointContext,
  kind: 'AuthorizationPolicy' | 'RequestAuthentication' | 'Telemetry',
  namespaces: string[],
  rootDefault = false,
): Attached<T> {
  const out: Attached<T> = { waypoint: [], byService: new Map() };
  for (const ns of namespaces) {
    ctx.reads.namespace(kind, ns);
    const items = (inNamespace(ctx.world, kind, ns) as unknown as T[]).sort((a, b) =>
      a.metadata.name < b.metadata.name ? -1 : 1,
    );
    for (const p of items) {
      // A root-namespace default with no target applies mesh-wide (Telemetry).
      if (rootDefault && ns === ctx.opts.rootNamespace && !p.spec?.selector && targetRefsOf(p.spec).length === 0) {
        out.waypoint.push(p);
        continue;
      }
      for (const a of attachmentsOn(ctx, p)) {
        if (a.scope === 'waypoint') out.waypoint.push(p);
        else {
          const key = `${a.namespace}/${a.name}`;
          let l = out.byService.get(key);
          if (!l) out.byService.set(key, (l = []));
          l.push(p);
        }
      }
    }
  }
  return out;
}

/**
 * Telemetry access logging with the built-in `envoy` provider: a file log to
 * stdout in the mesh config's format (telemetry_logging.go: telemetryAccessLog,
 * FileAccessLogFromMeshConfig).
 */
function accessLogsOf(telemetries: Telemetry[], format: AccessLogFormatIR): AccessLogIR[] {
  let enabled = false;
  for (const t of telemetries) {
    for (const a of t.spec?.accessLogging ?? []) {
      const providers = a.providers ?? [];
      if (providers.length > 0 && !providers.some((p) => p.name === 'envoy')) continue;
      enabled = !a.disabled;
    }
  }
  return enabled ? [{ path: ACCESS_LOG_STDOUT, format }] : [];
}

/** The Service behind a provider hostname (`<name>.<ns>.svc.<domain>`). */
function providerService(ctx: WaypointContext, host: string): Service | undefined {
  const suffix = `.svc.${ctx.opts.domain}`;
  if (!host.endsWith(suffix)) return undefined;
  const [name = '', ns = ''] = host.slice(0, -suffix.length).split('.');
  ctx.reads.object('Service', ns, name);
  return get(ctx.world, 'Service', ns, name);
}

/** Everything one waypoint serves, with every reference resolved. */
export function buildWaypointIR(ctx: WaypointContext): WaypointIR {
  const wp = ctx.waypoint;
  ctx.reads.object('Gateway', wp.namespace, wp.name);
  ctx.reads.all('GatewayClass');
  const services = servedServices(ctx);
  for (const s of services) ctx.reads.object('Service', s.metadata.namespace, s.metadata.name);
  const namespaces = policyNamespaces(
    ctx,
    services.map((s) => s.metadata.namespace ?? 'default'),
  );
  const authz = collect<AuthorizationPolicy>(ctx, 'AuthorizationPolicy', namespaces);
  const authn = collect<RequestAuthentication>(ctx, 'RequestAuthentication', namespaces);
  const telemetry = collect<Telemetry>(ctx, 'Telemetry', namespaces, true);
  const td = ctx.opts.trustDomain;
  const outbound = new Map<string, OutboundClusterIR>();
  const providers = extAuthzProviders(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const aliases = trustDomainAliases(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const logFormat = meshAccessLogFormat(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const withProvider = (p: AuthorizationPolicy): AuthzPolicyIR => {
    const ir = aliases.length > 0 ? { ...authzPolicyIR(p), trustDomainAliases: aliases } : authzPolicyIR(p);
    if (ir.action !== 'CUSTOM' || !ir.provider) return ir;
    const prov = providers.get(ir.provider);
    const target = prov && providerService(ctx, prov.host);
    if (!prov || !target) return ir;
    const cluster = outboundName(prov.port, prov.host);
    if (!outbound.has(cluster)) {
      const port = (target.spec?.ports ?? []).find((x) => x.port === prov.port);
      const endpoints = port ? endpointIRs(target, port, ctx.world, ctx.reads, ctx.opts.clusterId) : [];
      outbound.set(cluster, {
        cluster,
        hostname: prov.host,
        port: prov.port,
        endpoints,
        http2: prov.kind === 'grpc',
        ...(port ? { protocol: istioProtocol(port) } : {}),
      });
    }
    const { name: provider, host, port, kind, timeoutMs, ...rest } = prov;
    return { ...ir, custom: { provider, host, port, kind, cluster, timeoutMs: timeoutMs ?? 600_000, ...rest } };
  };
  // The waypoint-wide parts, built once. A service with a policy of its own
  // of one kind gets its own list of that kind, and shares the other kinds'
  // lists (so what is built from them, like the JWT filter, is built once).
  const keys = resolvedJwks(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const jwtRules = (ra: RequestAuthentication) => jwtRulesIR(ra, keys);
  const shared: ChainPolicyIR = {
    authz: authz.waypoint.map(withProvider),
    jwt: authn.waypoint.flatMap(jwtRules),
    accessLogs: accessLogsOf(telemetry.waypoint, logFormat),
  };
  const policyFor = (svcKey: string): ChainPolicyIR => {
    const a = authz.byService.get(svcKey);
    const r = authn.byService.get(svcKey);
    const t = telemetry.byService.get(svcKey);
    return {
      authz: a ? [...shared.authz, ...a.map(withProvider)] : shared.authz,
      jwt: r ? [...shared.jwt, ...r.flatMap(jwtRules)] : shared.jwt,
      accessLogs: t ? accessLogsOf([...telemetry.waypoint, ...t], logFormat) : shared.accessLogs,
    };
  };
  const hasOwnPolicy = (svcKey: string) =>
    authz.byService.has(svcKey) || authn.byService.has(svcKey) || telemetry.byService.has(svcKey);
  const serviceIRs: ServiceIR[] = [];
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? 'default';
    const svcKey = `${ns}/${svc.metadata.name}`;
    // One object for every service without a policy of its own, so what is
    // built from it (HTTP filters) is built once.
    const policy = hasOwnPolicy(svcKey) ? policyFor(svcKey) : shared;
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
      ports.push({
        port: p.port,
        name: p.name ?? '',
        protocol,
        istioProtocol: proto,
        endpoints: endpointIRs(svc, p, ctx.world, ctx.reads, ctx.opts.clusterId),
        httpRoutes: http.routes,
        tcpRoutes: tcp.tcp,
        policy,
      });
    }
    serviceIRs.push({
      hostname: hostnameOf(svc, ctx.opts.domain),
      namespace: ns,
      name: svc.metadata.name,
      vips: vipsOf(svc),
      ports,
    });
  }
  return {
    namespace: wp.namespace,
    name: wp.name,
    trustDomain: td,
    clusterId: ctx.opts.clusterId,
    services: serviceIRs.sort((a, b) => (a.hostname < b.hostname ? -1 : 1)),
    outbound: [...outbound.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : 1)),
    direct: shared,
    workloadIps: boundWorkloadIps(ctx),
  };
}
