import { checkedValue, parseIstioDuration } from '../../model/values';
import {
  type VirtualService,
  type VsHeaderOperations,
  type VsHttpMatch,
  type VsHttpRoute,
  type VsPercent,
  type VsStringMatch,
} from '../../model';
import { GRPC_STATUS } from '../../model/virtual-service-schema';
import type {
  BackendIR,
  CorsIR,
  FaultIR,
  FractionIR,
  HeaderMatchIR,
  HeaderMutationIR,
  HttpRouteIR,
  OutboundClusterIR,
  RedirectIR,
  RouteMatchIR,
  StringMatchIR,
} from '../ir';
import type { WaypointContext } from '../context';
import { convertRetry, meshRetry } from './retry-policy';
import { vsDestinationCluster } from './vs-destination';
import { mergedHttpRules } from './vs-delegate';
import { defaultVirtualServiceExportTo } from './vs-export';

// A VirtualService's `http` routes as a waypoint serves them
// (listener_waypoint.go: waypointInboundRoute, translateWaypointRoute;
// route.go: TranslateRoute, TranslateRouteMatch, applyHTTPRouteDestination).

const ms = (d: string | undefined): number | undefined =>
  d === undefined ? undefined : checkedValue(parseIstioDuration, d);

/** util.go: ConvertToEnvoyMatch; `regex: "*"` (or no match at all) is a presence match (canBeConvertedToPresentMatch). */
function stringMatch(m: VsStringMatch | undefined): StringMatchIR {
  if (!m || m.regex === '*' || (m.exact === undefined && m.prefix === undefined && m.regex === undefined))
    return { kind: 'present', value: '' };
  if (m.exact !== undefined) return { kind: 'exact', value: m.exact };
  if (m.prefix !== undefined) return { kind: 'prefix', value: m.prefix };
  return { kind: 'regex', value: m.regex ?? '' };
}

/** route.go: TranslateRouteMatch — headers sorted by name, then method, authority, scheme. */
function routeMatch(m: VsHttpMatch | undefined): RouteMatchIR {
  const headers: HeaderMatchIR[] = [];
  for (const [name, sm] of Object.entries(m?.headers ?? {})) headers.push({ name, match: stringMatch(sm) });
  for (const [name, sm] of Object.entries(m?.withoutHeaders ?? {})) {
    const match = stringMatch(sm);
    headers.push({ name, match, invert: true, ...(match.kind !== 'present' ? { treatMissingAsEmpty: true } : {}) });
  }
  headers.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (m?.method) headers.push({ name: ':method', match: stringMatch(m.method) });
  if (m?.authority) headers.push({ name: ':authority', match: stringMatch(m.authority) });
  if (m?.scheme) headers.push({ name: ':scheme', match: stringMatch(m.scheme) });
  let path: RouteMatchIR['path'];
  const u = m?.uri;
  if (u?.exact !== undefined) path = { kind: 'exact', value: u.exact };
  else if (u?.prefix !== undefined) path = { kind: 'prefix', value: u.prefix };
  else if (u?.regex !== undefined) path = { kind: 'regex', value: u.regex };
  return {
    ...(path ? { path } : {}),
    headers,
    queryParams: Object.entries(m?.queryParams ?? {}).map(([name, sm]) => ({ name, match: stringMatch(sm) })),
  };
}

const isInternal = (h: string) => h.startsWith(':') || h.toLowerCase() === 'host';
const isAuthority = (h: string) => h.toLowerCase() === ':authority' || h.toLowerCase() === 'host';
const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** route.go: TranslateHeadersOperations — sorted by name, pseudo-headers and Host dropped, `:authority` returned. */
function headerOps(
  req: VsHeaderOperations | undefined,
  resp: VsHeaderOperations | undefined,
): { request?: HeaderMutationIR; response?: HeaderMutationIR; authority?: string } {
  const entries = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .filter(([k]) => !isInternal(k))
      .map(([name, value]) => ({ name, value }))
      .sort(byName);
  const authorityOf = (m: Record<string, string> | undefined) =>
    Object.entries(m ?? {})
      .filter(([k]) => isAuthority(k))
      .pop()?.[1];
  const mutation = (o: VsHeaderOperations | undefined): HeaderMutationIR | undefined =>
    o
      ? { set: entries(o.set), add: entries(o.add), remove: (o.remove ?? []).filter((k) => !isInternal(k)) }
      : undefined;
  const authority = authorityOf(req?.set) ?? authorityOf(req?.add);
  const request = mutation(req);
  const response = mutation(resp);
  return {
    ...(request ? { request } : {}),
    ...(response ? { response } : {}),
    ...(authority ? { authority } : {}),
  };
}

/** route.go: translatePercentToFractionalPercent (Go truncates the product). */
const millionths = (p: VsPercent): FractionIR => ({
  numerator: Math.trunc((p.value ?? 0) * 10000),
  denominator: 'MILLION',
});
const hundredths = (n: number): FractionIR => ({ numerator: n, denominator: 'HUNDRED' });

/** route.go: TranslateFault; an abort without a percentage has none. */
function fault(f: VsHttpRoute['fault']): FaultIR | undefined {
  if (!f) return undefined;
  const out: FaultIR = {};
  const d = f.delay;
  if (d?.fixedDelay !== undefined) {
    out.delay = {
      fixedDelayMs: ms(d.fixedDelay) ?? 0,
      percentage: d.percentage ? millionths(d.percentage) : hundredths(d.percent ?? 0),
    };
  }
  const a = f.abort;
  if (a && (a.httpStatus !== undefined || a.grpcStatus !== undefined)) {
    out.abort = {
      ...(a.httpStatus !== undefined
        ? { httpStatus: a.httpStatus }
        : { grpcStatus: GRPC_STATUS[a.grpcStatus ?? ''] ?? 2 }),
      ...(a.percentage ? { percentage: millionths(a.percentage) } : {}),
    };
  }
  return out.delay || out.abort ? out : undefined;
}

/** route.go: TranslateCORSPolicy. */
function cors(c: VsHttpRoute['corsPolicy']): CorsIR | undefined {
  if (!c) return undefined;
  const origins = c.allowOrigins
    ? c.allowOrigins.map(stringMatch)
    : (c.allowOrigin ?? []).map((o): StringMatchIR => ({ kind: 'exact', value: o }));
  const maxAge = ms(c.maxAge);
  return {
    allowOrigins: origins,
    allowCredentials: c.allowCredentials === true,
    allowMethods: c.allowMethods ?? [],
    allowHeaders: c.allowHeaders ?? [],
    exposeHeaders: c.exposeHeaders ?? [],
    ...(maxAge !== undefined ? { maxAgeSeconds: Math.floor(maxAge / 1000) } : {}),
  };
}

/** route.go: ApplyRedirect — 301 unless told; FROM_REQUEST_PORT is the listener's port; a scheme's default port is left out. */
function redirect(r: NonNullable<VsHttpRoute['redirect']>, listenerPort: number): RedirectIR {
  let port: number | undefined;
  if (r.port !== undefined || r.derivePort !== undefined) {
    port = r.port ?? (r.derivePort === 'FROM_REQUEST_PORT' ? listenerPort : undefined);
    const scheme = r.scheme || 'http';
    if ((port === 80 && scheme === 'http') || (port === 443 && scheme === 'https')) port = undefined;
  }
  return {
    ...(r.scheme ? { scheme: r.scheme } : {}),
    ...(r.authority ? { hostname: r.authority } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(r.prefixRewrite
      ? { path: { kind: 'prefix' as const, value: r.prefixRewrite } }
      : r.uri
        ? { path: { kind: 'full' as const, value: r.uri } }
        : {}),
    statusCode: r.redirectCode || 301,
  };
}

/**
 * One route entry for one match of one rule, or none when the match cannot
 * apply on a waypoint: another port, source labels (ambient has none,
 * istio#51565), another source namespace, gateways without `mesh`
 * (route.go: TranslateRoute, sourceMatchHTTP).
 */
function translate(
  ctx: WaypointContext,
  vs: VirtualService,
  rule: VsHttpRoute,
  m: VsHttpMatch | undefined,
  listenerPort: number,
  outbound: OutboundClusterIR[],
): HttpRouteIR | undefined {
  if (m?.port !== undefined && m.port !== 0 && m.port !== listenerPort) return undefined;
  if (m && (m.gateways?.length ?? 0) > 0) {
    if (!m.gateways?.includes('mesh')) return undefined;
  } else if (m && (Object.keys(m.sourceLabels ?? {}).length > 0 || (m.sourceNamespace ?? '') !== '')) {
    if (Object.keys(m.sourceLabels ?? {}).length > 0 || m.sourceNamespace !== ctx.waypoint.namespace) return undefined;
  }
  const dests = rule.route ?? [];
  const ops = rule.headers ? headerOps(rule.headers.request, rule.headers.response) : {};
  const ir: HttpRouteIR = {
    name: (rule.name ?? '') + (m?.name ? `.${m.name}` : ''),
    match: routeMatch(m),
    backends: [],
    mirrors: [],
    grpc: false,
    source: { kind: 'VirtualService', namespace: vs.metadata.namespace, name: vs.metadata.name },
    vs: {
      weighted: dests.length > 1,
      ...(m ? { caseSensitive: !m.ignoreUriCase } : {}),
      ...(m?.statPrefix ? { statPrefix: m.statPrefix } : {}),
    },
    ...(ops.request ? { requestHeaders: ops.request } : {}),
    ...(ops.response ? { responseHeaders: ops.response } : {}),
  };
  const vsIR = ir.vs!;
  const f = fault(rule.fault);
  if (f) vsIR.fault = f;
  const c = cors(rule.corsPolicy);
  if (c) {
    ir.cors = c;
    vsIR.corsForwardNotMatching = rule.corsPolicy?.unmatchedPreflights !== 'IGNORE';
    if (rule.corsPolicy?.allowCredentials !== undefined) vsIR.corsAllowCredentials = rule.corsPolicy.allowCredentials;
  }
  if (rule.redirect) {
    ir.redirect = redirect(rule.redirect, listenerPort);
    return ir;
  }
  if (rule.directResponse) {
    const b = rule.directResponse.body;
    ir.directResponse = { status: rule.directResponse.status, ...(b?.string !== undefined ? { body: b.string } : {}) };
    if (b?.string === undefined && b?.bytes !== undefined) vsIR.directResponseBytes = b.bytes;
    return ir;
  }
  const timeoutMs = ms(rule.timeout);
  if (timeoutMs !== undefined) ir.timeoutMs = timeoutMs;
  let authority = ops.authority;
  const rw = rule.rewrite;
  if (rw) {
    if (rw.uriRegexRewrite)
      vsIR.regexRewrite = { pattern: rw.uriRegexRewrite.match ?? '', substitution: rw.uriRegexRewrite.rewrite ?? '' };
    else if (rw.uri) ir.rewrite = { path: { kind: 'prefix', value: rw.uri } };
    if (rw.authority) authority = rw.authority;
  }
  if (authority) ir.rewrite = { ...ir.rewrite, hostname: authority };
  const cluster = (d: NonNullable<VsHttpRoute['mirror']>) => vsDestinationCluster(ctx, vs, d, listenerPort, outbound);
  if (rule.mirror) {
    const p = rule.mirrorPercentage
      ? (rule.mirrorPercentage.value ?? 0) > 0
        ? millionths(rule.mirrorPercentage)
        : undefined
      : rule.mirrorPercent !== undefined
        ? rule.mirrorPercent > 0
          ? hundredths(rule.mirrorPercent)
          : undefined
        : hundredths(100);
    if (p) ir.mirrors.push({ cluster: cluster(rule.mirror), fraction: p });
  }
  for (const mp of rule.mirrors ?? []) {
    const p = mp.percentage
      ? (mp.percentage.value ?? 0) > 0
        ? millionths(mp.percentage)
        : undefined
      : hundredths(100);
    if (p) ir.mirrors.push({ cluster: cluster(mp.destination), fraction: p });
  }
  const r = rule.retries ? convertRetry(rule.retries) : meshRetry(ctx);
  if (r) ir.retry = r;
  // A lone destination is used whatever its weight; of several, those weighted 0 are left out.
  for (const d of dests.length === 1 ? dests : dests.filter((x) => (x.weight ?? 0) !== 0)) {
    const dOps = d.headers ? headerOps(d.headers.request, d.headers.response) : {};
    const b: BackendIR = { cluster: cluster(d.destination), weight: d.weight ?? 0 };
    if (dOps.request) b.requestHeaders = dOps.request;
    if (dOps.response) b.responseHeaders = dOps.response;
    if (dOps.authority) b.hostRewrite = dOps.authority;
    ir.backends.push(b);
  }
  return ir;
}

/** route.go: IsCatchAllRoute — every path, nothing else matched. */
function isCatchAll(r: HttpRouteIR): boolean {
  const p = r.match.path;
  const every = !p || (p.kind === 'prefix' && p.value === '/') || (p.kind === 'regex' && p.value === '.*');
  return every && r.match.headers.length === 0 && r.match.queryParams.length === 0;
}

/**
 * The route entries of one VirtualService for a service port, in its order;
 * nothing after a catch-all (listener_waypoint.go: waypointInboundRoute).
 * Delegating rules are first replaced by their delegate's (vs-delegate.ts).
 */
export function vsHttpRoutes(
  ctx: WaypointContext,
  vs: VirtualService,
  listenerPort: number,
  outbound: OutboundClusterIR[],
): HttpRouteIR[] {
  const out: HttpRouteIR[] = [];
  const exportDefaults = defaultVirtualServiceExportTo(ctx.world, ctx.opts.rootNamespace, ctx.reads);
  const { rules } = mergedHttpRules(ctx.world, vs, ctx.opts.domain, exportDefaults, ctx.reads);
  for (const rule of rules) {
    if (rule.delegate) continue;
    if ((rule.match ?? []).length === 0) {
      const r = translate(ctx, vs, rule, undefined, listenerPort, outbound);
      if (r) out.push(r);
      break;
    }
    for (const m of rule.match ?? []) {
      if (Object.keys(m.sourceLabels ?? {}).length > 0) continue;
      const r = translate(ctx, vs, rule, m, listenerPort, outbound);
      if (!r) continue;
      out.push(r);
      if (isCatchAll(r)) return out;
    }
  }
  return out;
}
