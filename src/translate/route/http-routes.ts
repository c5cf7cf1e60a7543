import type {
  GRPCRoute,
  HTTPRoute,
  HTTPRouteFilter,
  HTTPRouteMatch,
  HTTPRouteRule,
  HeaderModifier,
  Service,
  ServicePort,
} from '../../model';
import type { BackendIR, HeaderMutationIR, HttpRouteIR, OutboundClusterIR, RouteMatchIR, StringMatchIR } from '../ir';
import type { WaypointContext } from '../context';
import { resolveBackend } from './backends';
import { routeName } from '../names';
import { attachedRoutes, routeOrder, type RouteParent } from './route-attach';
import { comparePrecedence } from './route-precedence';
import { corsPolicy, pathModifier, redirectPort, ruleRetryAndTimeout } from './route-policies';
import { meshRetry } from './retry-policy';
import { backendRefWeight, fractionDenominator, pathMatchValue, redirectStatusCode } from '../../model/defaults';

function mutation(m: HeaderModifier | undefined): HeaderMutationIR | undefined {
  if (!m) return undefined;
  return { set: m.set ?? [], add: m.add ?? [], remove: m.remove ?? [] };
}

function strMatch(type: string | undefined, value: string): StringMatchIR {
  return type === 'RegularExpression' ? { kind: 'regex', value } : { kind: 'exact', value };
}

interface Candidate {
  ir: HttpRouteIR;
  route: HTTPRoute | GRPCRoute;
  rule: number;
}

/** istiod's precedence (route-precedence.ts), then older route first, then rule order. */
function precedence(a: Candidate, b: Candidate): number {
  return comparePrecedence(a.ir.match, b.ir.match) || routeOrder(a.route, b.route) || a.rule - b.rule;
}

function applyFilters(
  ir: HttpRouteIR,
  filters: HTTPRouteFilter[] | undefined,
  ctx: WaypointContext,
  route: HTTPRoute | GRPCRoute,
  outbound: OutboundClusterIR[],
  listenerPort: number,
): void {
  for (const f of filters ?? []) {
    switch (f.type) {
      case 'RequestHeaderModifier':
        ir.requestHeaders = mutation(f.requestHeaderModifier);
        break;
      case 'ResponseHeaderModifier':
        ir.responseHeaders = mutation(f.responseHeaderModifier);
        break;
      case 'RequestRedirect': {
        const r = f.requestRedirect ?? {};
        ir.redirect = {
          scheme: r.scheme,
          hostname: r.hostname,
          port: redirectPort(r, listenerPort),
          statusCode: redirectStatusCode(r),
          path: pathModifier(r.path, 'redirect'),
        };
        break;
      }
      case 'URLRewrite': {
        const r = f.urlRewrite ?? {};
        ir.rewrite = {
          hostname: r.hostname,
          path: pathModifier(r.path, 'rewrite'),
        };
        break;
      }
      case 'CORS':
        ir.cors = corsPolicy(f.cors);
        break;
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (!m) break;
        // An unusable mirror is left out and the rule kept (conversion.go: convertHTTPRoute).
        const res = resolveBackend(ctx, route, m.backendRef, 'http');
        if (!res.ok) break;
        if (res.outbound) outbound.push(res.outbound);
        const percent =
          m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / fractionDenominator(m.fraction) : undefined);
        ir.mirrors.push({ cluster: res.cluster, ...(percent !== undefined ? { percent } : {}) });
        break;
      }
      default:
        // ExtensionRef and unknown filters cannot be honoured: the rule answers 500.
        ir.directResponse = { status: 500 };
    }
  }
}

/**
 * A path match; absent means the CRD's default, prefix `/`. A prefix ignores
 * its trailing `/`, also when ranked (conversion.go: createURIMatch).
 */
function httpPath(p: HTTPRouteMatch['path']): RouteMatchIR['path'] {
  const value = pathMatchValue(p);
  if (p?.type === 'Exact') return { kind: 'exact', value };
  if (p?.type === 'RegularExpression') return { kind: 'regex', value };
  return { kind: 'prefix', value: value === '/' ? value : value.replace(/\/$/, '') };
}

function httpMatches(
  route: HTTPRoute,
  rule: NonNullable<NonNullable<HTTPRoute['spec']>['rules']>[number],
): RouteMatchIR[] {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  return matches.map((m) => ({
    path: httpPath(m.path),
    headers: (m.headers ?? []).map((h) => ({ name: h.name.toLowerCase(), match: strMatch(h.type, h.value) })),
    queryParams: (m.queryParams ?? []).map((q) => ({ name: q.name, match: strMatch(q.type, q.value) })),
    method: m.method,
  }));
  void route;
}

function grpcMatches(rule: NonNullable<NonNullable<GRPCRoute['spec']>['rules']>[number]): RouteMatchIR[] {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  return matches.map((m) => {
    const svc = m.method?.service;
    const method = m.method?.method;
    let path: RouteMatchIR['path'];
    // conversion.go: createGRPCURIMatch. The service prefix keeps its `/`,
    // which ranks it as istiod does; the Envoy match drops it.
    if (!svc && method) path = { kind: 'regex', value: `/[^/]+/${method}` };
    else if (m.method?.type === 'RegularExpression' && svc)
      path = { kind: 'regex', value: method ? `/${svc}/${method}` : `/${svc}/.+` };
    else if (svc && method) path = { kind: 'exact', value: `/${svc}/${method}` };
    else if (svc) path = { kind: 'prefix', value: `/${svc}/` };
    return {
      path,
      headers: (m.headers ?? []).map((h) => ({ name: h.name.toLowerCase(), match: strMatch(h.type, h.value) })),
      queryParams: [],
    };
  });
}

/** The ordered route entries of one service port, and the outbound clusters they need. */
export function httpRoutesFor(
  ctx: WaypointContext,
  svc: Service | RouteParent,
  port: Pick<ServicePort, 'port'>,
): { routes: HttpRouteIR[]; outbound: OutboundClusterIR[] } {
  const outbound: OutboundClusterIR[] = [];
  const candidates: Candidate[] = [];
  const routes = [
    ...attachedRoutes(ctx, 'HTTPRoute', svc, port.port),
    ...attachedRoutes(ctx, 'GRPCRoute', svc, port.port),
  ];
  for (const route of routes) {
    const rules = route.spec?.rules ?? [];
    rules.forEach((rule, i) => {
      const grpc = route.kind === 'GRPCRoute';
      const backends: BackendIR[] = [];
      for (const ref of rule.backendRefs ?? []) {
        const weight = backendRefWeight(ref);
        if (weight === 0) continue;
        // An unusable backend keeps its share, answered 500 through a cluster
        // that does not exist (conversion.go: buildHTTPDestination).
        const res = resolveBackend(ctx, route, ref, 'http');
        if (res.ok && res.outbound) outbound.push(res.outbound);
        const f = ref.filters ?? [];
        backends.push({
          cluster: res.cluster,
          weight,
          requestHeaders: mutation(f.find((x) => x.type === 'RequestHeaderModifier')?.requestHeaderModifier),
          responseHeaders: mutation(f.find((x) => x.type === 'ResponseHeaderModifier')?.responseHeaderModifier),
        });
      }
      const matches =
        route.kind === 'GRPCRoute'
          ? grpcMatches(rule as NonNullable<NonNullable<GRPCRoute['spec']>['rules']>[number])
          : httpMatches(route, rule as HTTPRouteRule);
      // GRPCRoute has neither retry nor timeouts: it gets the default policy.
      const { retry, timeoutMs } =
        route.kind === 'HTTPRoute'
          ? ruleRetryAndTimeout(rule as HTTPRouteRule, () => meshRetry(ctx))
          : { retry: meshRetry(ctx), timeoutMs: undefined };
      for (const match of matches) {
        const ir: HttpRouteIR = {
          name: routeName(route.metadata.namespace, route.metadata.name, i, rule.name),
          match,
          backends,
          mirrors: [],
          grpc,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(retry ? { retry } : {}),
        };
        applyFilters(ir, rule.filters, ctx, route, outbound, port.port);
        // No backend with weight above 0: 500 (conversion.go: convertHTTPRoute).
        if (backends.length === 0 && !ir.redirect) ir.directResponse = { status: 500 };
        candidates.push({ ir, route, rule: i });
      }
    });
  }
  // One block per route namespace, the waypoint's own first: istiod merges
  // a namespace's routes for a host into one VirtualService, each sorted on
  // its own (route_collections.go: mergeHTTPRoutes, keyed by the route's
  // namespace), lists the proxy namespace's first (push_context.go:
  // VirtualServicesForGateway) and concatenates their routes, each cut after
  // its own catch-all (listener_waypoint.go: buildWaypointInboundHTTPRouteConfig,
  // waypointInboundRoute).
  const own = (c: Candidate) => (c.route.metadata.namespace === ctx.waypoint.namespace ? 0 : 1);
  candidates.sort((a, b) => own(a) - own(b) || precedence(a, b));
  const ordered: HttpRouteIR[] = [];
  let cut = -1;
  for (const c of candidates) {
    if (own(c) === cut) continue;
    ordered.push(c.ir);
    if (isCatchAll(c.ir)) cut = own(c);
  }
  return { routes: ordered, outbound };
}

/**
 * A route that matches every request: nothing after it is ever reached, so
 * nothing after it is sent (listener_waypoint.go: waypointInboundRoute;
 * route.go: IsCatchAllRoute).
 */
function isCatchAll(r: HttpRouteIR): boolean {
  const p = r.match.path;
  const everyPath = !p || (p.kind === 'prefix' && p.value === '/') || (p.kind === 'regex' && p.value === '.*');
  return everyPath && !r.match.method && r.match.headers.length === 0 && r.match.queryParams.length === 0;
}
