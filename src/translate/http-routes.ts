import type {
  GRPCRoute,
  HTTPRoute,
  HTTPRouteFilter,
  HeaderModifier,
  Service,
  ServicePort,
  PathModifier,
} from '../model';
import type { BackendIR, HeaderMutationIR, HttpRouteIR, OutboundClusterIR, RouteMatchIR, StringMatchIR } from './ir';
import type { WaypointContext } from './context';
import { resolveBackend } from './backends';
import { routeName } from './names';
import { attachedRoutes, parseGatewayDuration, routeOrder } from './route-attach';

// Istio's default retry for mesh HTTP routes when a rule sets none.
const DEFAULT_RETRY = {
  attempts: 2,
  codes: [503],
  retryOn: ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'],
};

function pathModifier(p: PathModifier | undefined): { kind: 'full' | 'prefix'; value: string } | undefined {
  if (p?.type === 'ReplaceFullPath') return { kind: 'full', value: p.replaceFullPath ?? '/' };
  if (p?.type === 'ReplacePrefixMatch') return { kind: 'prefix', value: p.replacePrefixMatch ?? '/' };
  return undefined;
}

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

/** Gateway API precedence within a port: exact path, regex, longest prefix, method, headers, query params. */
function precedence(a: Candidate, b: Candidate): number {
  const rank = (c: Candidate) => {
    const p = c.ir.match.path;
    const kind = !p ? 2 : p.kind === 'exact' ? 0 : p.kind === 'regex' ? 1 : 2;
    return [
      kind,
      -(p?.value.length ?? 1),
      c.ir.match.method ? 0 : 1,
      -c.ir.match.headers.length,
      -c.ir.match.queryParams.length,
    ];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < ra.length; i++) if (ra[i] !== rb[i]) return (ra[i] ?? 0) - (rb[i] ?? 0);
  return routeOrder(a.route, b.route) || a.rule - b.rule;
}

function applyFilters(
  ir: HttpRouteIR,
  filters: HTTPRouteFilter[] | undefined,
  ctx: WaypointContext,
  route: HTTPRoute | GRPCRoute,
  outbound: OutboundClusterIR[],
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
          port: r.port,
          statusCode: r.statusCode ?? 302,
          path: pathModifier(r.path),
        };
        break;
      }
      case 'URLRewrite': {
        const r = f.urlRewrite ?? {};
        ir.rewrite = {
          hostname: r.hostname,
          path: pathModifier(r.path),
        };
        break;
      }
      case 'RequestMirror': {
        const m = f.requestMirror;
        if (!m) break;
        const res = resolveBackend(ctx, route, m.backendRef, 'http');
        if (!res.ok) break;
        if (res.outbound) outbound.push(res.outbound);
        const percent =
          m.percent ?? (m.fraction ? (100 * m.fraction.numerator) / (m.fraction.denominator ?? 100) : undefined);
        ir.mirrors.push({ cluster: res.cluster, ...(percent !== undefined ? { percent } : {}) });
        break;
      }
      default:
        // ExtensionRef and unknown filters cannot be honoured: the rule answers 500.
        ir.directResponse = { status: 500 };
    }
  }
}

function httpMatches(
  route: HTTPRoute,
  rule: NonNullable<NonNullable<HTTPRoute['spec']>['rules']>[number],
): RouteMatchIR[] {
  const matches = rule.matches && rule.matches.length > 0 ? rule.matches : [{}];
  return matches.map((m) => ({
    path: m.path
      ? {
          kind: m.path.type === 'Exact' ? 'exact' : m.path.type === 'RegularExpression' ? 'regex' : 'prefix',
          value: m.path.value ?? '/',
        }
      : { kind: 'prefix', value: '/' },
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
    if (m.method?.type === 'RegularExpression')
      path = { kind: 'regex', value: `/${svc ?? '[^/]+'}/${method ?? '[^/]+'}` };
    else if (svc && method) path = { kind: 'exact', value: `/${svc}/${method}` };
    else if (svc) path = { kind: 'prefix', value: `/${svc}` };
    else if (method) path = { kind: 'regex', value: `/[^/]+/${method}` };
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
  svc: Service,
  port: ServicePort,
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
        const res = resolveBackend(ctx, route, ref, 'http');
        const weight = ref.weight ?? 1;
        if (!res.ok || weight === 0) continue;
        if (res.outbound) outbound.push(res.outbound);
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
          : httpMatches(route, rule as NonNullable<NonNullable<HTTPRoute['spec']>['rules']>[number]);
      const httpRule =
        route.kind === 'HTTPRoute' ? (rule as NonNullable<NonNullable<HTTPRoute['spec']>['rules']>[number]) : undefined;
      const timeoutMs = parseGatewayDuration(httpRule?.timeouts?.request);
      const backendTimeoutMs = parseGatewayDuration(httpRule?.timeouts?.backendRequest);
      const retry = httpRule?.retry
        ? {
            attempts: httpRule.retry.attempts ?? 1,
            codes: httpRule.retry.codes ?? [],
            retryOn: [] as string[],
            backoffBaseMs: parseGatewayDuration(httpRule.retry.backoff),
          }
        : { ...DEFAULT_RETRY };
      for (const match of matches) {
        const ir: HttpRouteIR = {
          name: routeName(route.metadata.namespace ?? 'default', route.metadata.name, i),
          match,
          backends,
          mirrors: [],
          grpc,
          ...(timeoutMs !== undefined ? { timeoutMs } : {}),
          ...(backendTimeoutMs !== undefined ? { backendTimeoutMs } : {}),
          retry: backendTimeoutMs !== undefined ? { ...retry, perTryTimeoutMs: backendTimeoutMs } : retry,
        };
        applyFilters(ir, rule.filters, ctx, route, outbound);
        // A rule whose backends all failed to resolve answers 500.
        if (backends.length === 0 && !ir.redirect) ir.directResponse = { status: 500 };
        candidates.push({ ir, route, rule: i });
      }
    });
  }
  candidates.sort(precedence);
  return { routes: candidates.map((c) => c.ir), outbound };
}
