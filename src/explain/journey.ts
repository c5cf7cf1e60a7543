// A request's path through one waypoint's emitted configuration: the
// main_internal chain it lands on, that chain's filters in order (jwt_authn,
// RBAC, ext_authz), the route RDS gives it, and the cluster and endpoints
// behind the route. It reads the resources the translator produced, so a
// wrong answer here is a wrong resource there.
import { MAIN_INTERNAL, PEER_PRINCIPAL_KEY } from '../translate/names';
import { chooseChain, sniffsHttp } from './chain';
import { byName, type EnvoyConfig } from './envoy-config';
import { evaluateJwt } from './jwt';
import { arr, metadataMatches, obj, str } from './matchers';
import { describePolicy, evaluateRbac, type RbacContext, type RbacResult } from './rbac';
import { describeMatch, pickVirtualHost, routeMismatch, type HttpRequest } from './route-match';
import type { EnvoyJourney, Flow, RouteStep, Verdict } from './types';
import { clustersOfAction, routerVerdict, upstream } from './upstream';

export type { ClusterStep, EnvoyJourney, FilterStep, Flow, Outcome, RouteStep, Verdict } from './types';

// Envoy's dynamic metadata namespaces (the filters' canonical names), read, not emitted.
const JWT_METADATA = 'envoy.filters.http.jwt_authn';
const HTTP_RBAC_METADATA = 'envoy.filters.http.rbac';
const TCP_RBAC_METADATA = 'envoy.filters.network.rbac';

const typeOf = (f: unknown): string => str(obj(obj(f).typedConfig)['@type']) ?? '';
const isType = (f: unknown, suffix: string) => typeOf(f).endsWith(suffix);

/** Who denied: the first matching DENY policy (Envoy reports the first by name), or no ALLOW match. */
function denyReason(r: RbacResult): string {
  const first = r.matched[0];
  return r.action === 'DENY' && first !== undefined ? `denied by ${describePolicy(first)}` : 'no ALLOW policy matched';
}

function rbacSummary(results: RbacResult[]): string {
  return results
    .map((r) => {
      const none =
        r.policies.length === 0
          ? 'it has no policies'
          : `none of ${r.policies.slice(0, 3).join(', ')}${r.policies.length > 3 ? ` and ${r.policies.length - 3} more` : ''} matched`;
      const who = r.matched.length > 0 ? `matched ${r.matched.join(', ')}` : none;
      const effect =
        r.mode === 'shadow'
          ? `shadow ${r.action}, enforces nothing`
          : r.action === 'LOG'
            ? 'AUDIT, logs only'
            : r.allowed
              ? `${r.action}: passes`
              : `${r.action}: denies`;
      return `${effect}; ${who}`;
    })
    .join(' | ');
}

function evalRoute(
  cfg: EnvoyConfig,
  hcm: Record<string, unknown>,
  req: HttpRequest,
): { step: RouteStep; route?: Record<string, unknown>; missing?: string } {
  const rdsName = str(obj(hcm.rds).routeConfigName);
  const rc = rdsName !== undefined ? byName(cfg.routes, rdsName) : obj(hcm.routeConfig);
  const name = rdsName ?? str(obj(hcm.routeConfig).name) ?? '(inline)';
  const step: RouteStep = { routeConfiguration: name, passed: [] };
  if (!rc) return { step, missing: `RouteConfiguration ${name} is not in RDS` };
  const vh = pickVirtualHost(arr(rc.virtualHosts), req.authority);
  if (!vh) return { step, missing: `no virtual host of ${name} has a domain for ${req.authority}` };
  step.virtualHost = str(vh.vhost.name);
  step.domain = vh.domain;
  const routes = arr(vh.vhost.routes).map(obj);
  for (const [i, r] of routes.entries()) {
    const why = routeMismatch(r.match, req);
    const label = {
      index: i,
      ...(str(r.name) !== undefined ? { name: str(r.name) } : {}),
      match: describeMatch(r.match),
    };
    if (why === undefined) {
      step.route = label;
      return { step, route: r };
    }
    step.passed.push({ ...label, why });
  }
  return { step, missing: `no route of virtual host ${step.virtualHost} matches` };
}

/** Disabled for this route by typed_per_filter_config (FilterConfig.disabled). */
function disabledOnRoute(route: Record<string, unknown> | undefined, filterName: string): boolean {
  return obj(obj(route?.typedPerFilterConfig)[filterName]).disabled === true;
}

/**
 * One RBAC filter, HTTP or network: its shadow results join `metadata` (the
 * request's dynamic metadata, which `ctx` reads) under `namespace` (later filters read them), the step is added to
 * the journey, and the enforced policy that denies, if any, is returned.
 */
function rbacStep(
  f: Record<string, unknown>,
  ctx: RbacContext,
  metadata: Map<string, Record<string, unknown>>,
  namespace: string,
  j: EnvoyJourney,
): RbacResult | undefined {
  const r = evaluateRbac(f.typedConfig, ctx);
  metadata.set(namespace, { ...(metadata.get(namespace) ?? {}), ...r.metadata });
  const deny = r.results.find((x) => x.mode === 'enforced' && !x.allowed);
  j.filters.push({
    filter: str(f.name) ?? '',
    kind: 'rbac',
    summary: rbacSummary(r.results),
    rbac: r.results,
    stops: deny !== undefined,
  });
  return deny;
}

function evalHttp(cfg: EnvoyConfig, hcm: Record<string, unknown>, flow: Flow, j: EnvoyJourney): Verdict {
  const http = flow.http ?? { method: 'GET', path: '/', authority: flow.destIp, headers: new Map<string, string>() };
  const headers = new Map(http.headers);
  headers.set(':method', http.method);
  headers.set(':path', http.path);
  headers.set(':authority', http.authority);
  const req: HttpRequest = { ...http, headers };
  const routed = evalRoute(cfg, hcm, req);
  j.route = routed.step;
  const metadata = new Map<string, Record<string, unknown>>();
  const ctx: RbacContext = {
    sourceIp: flow.sourceIp,
    destIp: flow.destIp,
    destPort: flow.destPort,
    filterState: new Map(flow.principal !== undefined ? [[PEER_PRINCIPAL_KEY, flow.principal]] : []),
    http: { headers, path: http.path },
    metadata,
  };
  let extAuthz: string | undefined;
  for (const f of arr(hcm.httpFilters).map(obj)) {
    const fname = str(f.name) ?? '';
    if (disabledOnRoute(routed.route, fname)) continue;
    if (isType(f, 'jwt_authn.v3.JwtAuthentication')) {
      const r = evaluateJwt(f.typedConfig, req, flow.nowSeconds);
      if (r.payload && r.payloadKey) metadata.set(JWT_METADATA, { [r.payloadKey]: r.payload });
      const who = r.verified.length > 0 ? `token verified by ${r.verified.join(', ')}` : 'no verified token';
      j.filters.push({
        filter: fname,
        kind: 'jwt_authn',
        summary: `requires ${r.requirement}: ${r.ok ? `passes (${who})` : `fails: ${r.error}`}${r.notes.length ? `; ${r.notes.join('; ')}` : ''}`,
        stops: !r.ok,
      });
      if (!r.ok) return { outcome: 'unauthenticated', status: 401, detail: r.error, summary: `401 ${r.error}` };
    } else if (isType(f, 'rbac.v3.RBAC')) {
      const deny = rbacStep(f, ctx, metadata, HTTP_RBAC_METADATA, j);
      if (deny)
        return {
          outcome: 'denied',
          status: 403,
          detail: 'RBAC: access denied',
          summary: `403 RBAC: access denied (${denyReason(deny)})`,
        };
    } else if (isType(f, 'ext_authz.v3.ExtAuthz')) {
      const cfgE = obj(f.typedConfig);
      const on = cfgE.filterEnabledMetadata === undefined || metadataMatches(cfgE.filterEnabledMetadata, metadata);
      const server =
        str(obj(obj(cfgE.grpcService).envoyGrpc).clusterName) ??
        str(obj(obj(obj(cfgE.httpService).serverUri)).cluster) ??
        'its server';
      j.filters.push({
        filter: fname,
        kind: 'ext_authz',
        summary: on ? `called: ${server} decides` : 'skipped: no CUSTOM policy matched',
        stops: false,
      });
      if (on && extAuthz === undefined) extAuthz = server;
    }
  }
  const v = routerVerdict(cfg, routed, headers, `${flow.destIp}:${flow.destPort}`);
  if (extAuthz !== undefined)
    return {
      outcome: 'ext-authz',
      summary: `the external authorizer (${extAuthz}) decides; if it allows: ${v.summary}`,
    };
  return v;
}

function evalTcp(cfg: EnvoyConfig, filters: Record<string, unknown>[], flow: Flow, j: EnvoyJourney): Verdict {
  const metadata = new Map<string, Record<string, unknown>>();
  const ctx: RbacContext = {
    sourceIp: flow.sourceIp,
    destIp: flow.destIp,
    destPort: flow.destPort,
    sni: flow.sni,
    filterState: new Map(flow.principal !== undefined ? [[PEER_PRINCIPAL_KEY, flow.principal]] : []),
    metadata,
  };
  let extAuthz: string | undefined;
  for (const f of filters) {
    const fname = str(f.name) ?? '';
    if (isType(f, 'network.rbac.v3.RBAC')) {
      const deny = rbacStep(f, ctx, metadata, TCP_RBAC_METADATA, j);
      if (deny)
        return {
          outcome: 'tcp-closed',
          detail: 'RBAC: access denied',
          summary: `connection closed by RBAC (${denyReason(deny)})`,
        };
    } else if (isType(f, 'network.ext_authz.v3.ExtAuthz')) {
      const c = obj(f.typedConfig);
      const on = c.filterEnabledMetadata === undefined || metadataMatches(c.filterEnabledMetadata, metadata);
      const server = str(obj(obj(c.grpcService).envoyGrpc).clusterName) ?? 'its server';
      j.filters.push({
        filter: fname,
        kind: 'ext_authz',
        summary: on ? `called: ${server} decides` : 'skipped: no CUSTOM policy matched',
        stops: false,
      });
      if (on && extAuthz === undefined) extAuthz = server;
    } else if (isType(f, 'tcp_proxy.v3.TcpProxy')) {
      const picked = clustersOfAction(obj(f.typedConfig), undefined);
      if (typeof picked === 'string') return { outcome: 'tcp-closed', summary: `connection closed: ${picked}` };
      const u = upstream(cfg, picked, true, 503, `${flow.destIp}:${flow.destPort}`);
      j.clusters = u.clusters;
      if (extAuthz !== undefined)
        return {
          outcome: 'ext-authz',
          summary: `the external authorizer (${extAuthz}) decides; if it allows: ${u.verdict.summary}`,
        };
      return u.verdict;
    }
  }
  return { outcome: 'tcp-closed', summary: 'connection closed: the chain has no tcp_proxy' };
}

/** Walks one request or connection through a waypoint's configuration. */
export function walkWaypoint(cfg: EnvoyConfig, flow: Flow): EnvoyJourney {
  const j: EnvoyJourney = {
    listener: MAIN_INTERNAL,
    chainSteps: [],
    protocol: flow.protocol,
    notes: [],
    filters: [],
    clusters: [],
    verdict: { outcome: 'no-chain', summary: '' },
  };
  const listener = byName(cfg.listeners, MAIN_INTERNAL);
  if (!listener) {
    j.verdict = { outcome: 'no-chain', summary: `connection closed: the waypoint has no ${MAIN_INTERNAL} listener` };
    return j;
  }
  const sniff = flow.protocol === 'http' && sniffsHttp(listener, flow.destPort);
  const choice = chooseChain(listener, {
    destIp: flow.destIp,
    destPort: flow.destPort,
    transportProtocol: 'raw_buffer',
    ...(sniff ? { applicationProtocol: 'http/1.1' } : {}),
    ...(flow.sni !== undefined ? { sni: flow.sni } : {}),
  });
  j.chainSteps = choice.steps;
  const chain =
    choice.chain === undefined
      ? undefined
      : arr(listener.filterChains)
          .map(obj)
          .find((c) => c.name === choice.chain);
  if (!chain) {
    j.verdict = {
      outcome: 'no-chain',
      summary: `connection closed: ${choice.chain === undefined ? `no filter chain of ${MAIN_INTERNAL} matches` : `chain ${choice.chain} is named but missing`}`,
    };
    return j;
  }
  j.chain = choice.chain;
  const filters = arr(chain.filters).map(obj);
  const hcm = filters.find((f) => isType(f, 'http_connection_manager.v3.HttpConnectionManager'));
  if (hcm) {
    j.protocol = 'http';
    if (flow.protocol === 'tcp') {
      j.verdict = {
        outcome: 'tcp-closed',
        summary: `connection closed: chain ${j.chain} expects HTTP and the bytes are not HTTP`,
      };
      return j;
    }
    const hcmConfig = obj(hcm.typedConfig);
    j.verdict = evalHttp(cfg, hcmConfig, flow, j);
    fillClusters(cfg, j, hcmConfig, flow);
    return j;
  }
  j.protocol = 'tcp';
  if (flow.protocol === 'http')
    j.notes.push(`chain ${j.chain} is TCP: the request is passed on as bytes, no HTTP route or L7 policy applies`);
  j.verdict = evalTcp(cfg, filters, flow, j);
  return j;
}

function byNameOrInline(cfg: EnvoyConfig, hcm: Record<string, unknown>): unknown {
  const rds = str(obj(hcm.rds).routeConfigName);
  return rds !== undefined ? byName(cfg.routes, rds) : hcm.routeConfig;
}

/** The chosen route's clusters, for the journey, whatever the filters decided. */
function fillClusters(cfg: EnvoyConfig, j: EnvoyJourney, hcm: Record<string, unknown>, flow: Flow): void {
  if (!j.route?.route || j.route.virtualHost === undefined) return;
  const rc = obj(byNameOrInline(cfg, hcm));
  const vh = arr(rc.virtualHosts)
    .map(obj)
    .find((v) => v.name === j.route?.virtualHost);
  const r = obj(arr(vh?.routes)[j.route.route.index]);
  if (r.route === undefined) return;
  const picked = clustersOfAction(obj(r.route), flow.http?.headers);
  if (typeof picked === 'string') return;
  j.clusters = upstream(cfg, picked, false, 503, `${flow.destIp}:${flow.destPort}`).clusters;
  const action = [
    obj(r.route).weightedClusters !== undefined ? 'weighted clusters' : 'cluster',
    picked.map((p) => p.name).join(', '),
  ].join(' ');
  j.route.action = action;
}
