import { pack, type TypeMap } from '../../envoy';
import type {
  CorsIR,
  HeaderMutationIR,
  HttpRouteIR,
  RetryIR,
  ServiceIR,
  StringMatchIR,
  VsRouteIR,
  WaypointIR,
} from '../ir';
import type { ConsistentHashLB } from '../../model';
import { seconds } from '../common';
import { hashPolicy, withoutHostPredicate } from './hash-policy';
import { DEFAULT_RETRY, quoteMeta } from '../route/route-policies';
import * as names from '../names';
import { chainProtocols } from './clusters';
import { fromInput, type Recipe } from '../recipe';
import { derive } from '../derived';
import { faultPerRoute, fraction, remoteLocalitiesPriority } from '../route/vs-envoy';

type RouteConfiguration = TypeMap['envoy.config.route.v3.RouteConfiguration'];
type Route = TypeMap['envoy.config.route.v3.Route'];
type RouteMatch = TypeMap['envoy.config.route.v3.RouteMatch'];
type StringMatcher = TypeMap['envoy.type.matcher.v3.StringMatcher'];
type HeaderValueOption = TypeMap['envoy.config.core.v3.HeaderValueOption'];

export function stringMatcher(m: StringMatchIR): StringMatcher {
  const ignore_case = m.ignoreCase ?? false;
  switch (m.kind) {
    case 'exact':
      return { exact: m.value, ignore_case };
    case 'prefix':
      return { prefix: m.value, ignore_case };
    case 'suffix':
      return { suffix: m.value, ignore_case };
    case 'contains':
      return { contains: m.value, ignore_case };
    case 'regex':
      return { safe_regex: { regex: m.value } };
    case 'present':
      return { safe_regex: { regex: '.*' } };
  }
}

function routeMatch(r: HttpRouteIR): RouteMatch {
  const m = r.match;
  const match: RouteMatch = {};
  if (!m.path) match.prefix = '/';
  else if (m.path.kind === 'exact') match.path = m.path.value;
  else if (m.path.kind === 'regex') match.safe_regex = { regex: m.path.value };
  // A VirtualService prefix is a plain string prefix (route.go: TranslateRouteMatch).
  else if (r.vs) match.prefix = m.path.value;
  // A Gateway API prefix matches whole path segments: /foo matches /foo and /foo/bar, not /foobar.
  else if (m.path.value === '/' || m.path.value === '') match.prefix = '/';
  else match.path_separated_prefix = m.path.value.replace(/\/+$/, '');
  const headers: NonNullable<RouteMatch['headers']> = m.headers.map((h) =>
    h.match.kind === 'present'
      ? { name: h.name, present_match: true, invert_match: h.invert ?? false }
      : {
          name: h.name,
          string_match: stringMatcher(h.match),
          invert_match: h.invert ?? false,
          ...(h.treatMissingAsEmpty ? { treat_missing_header_as_empty: true } : {}),
        },
  );
  if (m.method) headers.push({ name: ':method', string_match: { exact: m.method } });
  if (headers.length > 0) match.headers = headers;
  if (m.queryParams.length > 0) {
    match.query_parameters = m.queryParams.map((q) =>
      q.match.kind === 'present'
        ? { name: q.name, present_match: true }
        : { name: q.name, string_match: stringMatcher(q.match) },
    );
  }
  if (r.vs?.caseSensitive !== undefined) match.case_sensitive = { value: r.vs.caseSensitive };
  // No `grpc` match for a GRPCRoute: istiod adds none (route.go: TranslateRouteMatch),
  // so a rule also matches a request without content-type application/grpc.
  return match;
}

function toAdd(m: HeaderMutationIR | undefined): HeaderValueOption[] {
  if (!m) return [];
  return [
    ...m.set.map((h) => ({
      header: { key: h.name, value: h.value },
      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const,
    })),
    ...m.add.map((h) => ({
      header: { key: h.name, value: h.value },
      append_action: 'APPEND_IF_EXISTS_OR_ADD' as const,
    })),
  ];
}

/** Route-level header edits; a lone backend's own edits follow the rule's (route.go: processDestination). */
function headerFields(
  prefix: 'request' | 'response',
  m: HeaderMutationIR | undefined,
  backend?: HeaderMutationIR,
): Partial<Route> {
  const add = [...toAdd(m), ...toAdd(backend)];
  const remove = [...(m?.remove ?? []), ...(backend?.remove ?? [])];
  const out: Partial<Route> = {};
  if (add.length > 0) out[`${prefix}_headers_to_add`] = add;
  if (remove.length > 0) out[`${prefix}_headers_to_remove`] = remove;
  return out;
}

function routeAction(r: HttpRouteIR): NonNullable<Route['route']> {
  const action: NonNullable<Route['route']> = {};
  const only = r.backends.length === 1 && !r.vs?.weighted ? r.backends[0] : undefined;
  if (only) {
    action.cluster = only.cluster;
  } else {
    action.weighted_clusters = {
      clusters: r.backends.map((b) => ({
        name: b.cluster,
        weight: { value: b.weight },
        ...(b.requestHeaders
          ? { request_headers_to_add: toAdd(b.requestHeaders), request_headers_to_remove: b.requestHeaders.remove }
          : {}),
        ...(b.responseHeaders
          ? { response_headers_to_add: toAdd(b.responseHeaders), response_headers_to_remove: b.responseHeaders.remove }
          : {}),
        ...(b.hostRewrite ? { host_rewrite_literal: b.hostRewrite } : {}),
      })),
    };
  }
  setTimeout(action, r.timeoutMs ?? 0);
  // A backend that could not be resolved names a cluster that does not exist:
  // its share answers 500, as Gateway API requires (route.go: applyHTTPRouteDestination).
  // A VirtualService's missing cluster answers Envoy's default 503 instead.
  if (!r.vs) action.cluster_not_found_response_code = 'INTERNAL_SERVER_ERROR';
  const host = r.rewrite?.hostname ?? only?.hostRewrite;
  if (host) action.host_rewrite_literal = host;
  if (r.vs?.regexRewrite) {
    action.regex_rewrite = {
      pattern: { regex: r.vs.regexRewrite.pattern },
      substitution: r.vs.regexRewrite.substitution,
    };
  } else if (r.rewrite?.path?.kind === 'prefix') {
    const p = r.rewrite.path.value;
    if (p === '/' && !r.vs) {
      // Strip the matched prefix, keeping a leading `/` (route.go: applyHTTPRouteDestination).
      const sep = r.match.path?.kind === 'prefix' && r.match.path.value !== '/' ? r.match.path.value : '';
      action.regex_rewrite = { pattern: { regex: `^${quoteMeta(sep)}(/?)(.*)` }, substitution: '/\\2' };
    } else {
      action.prefix_rewrite = p;
    }
  } else if (r.rewrite?.path?.kind === 'full') {
    action.regex_rewrite = { pattern: { regex: '/.*' }, substitution: r.rewrite.path.value };
  }
  if (r.hashPolicy) action.hash_policy = r.hashPolicy.map(hashPolicy);
  // route.go: applyHTTPRouteDestination — a lone backend that hashes keeps retries on the same host.
  const sticky = r.backends.length === 1 && (r.hashPolicy?.length ?? 0) > 0;
  if (r.retry) action.retry_policy = sticky ? withoutHostPredicate(retryPolicy(r.retry)) : retryPolicy(r.retry);
  if (r.mirrors.length > 0) {
    // A mirror does not force tracing of the copy, and keeps the Host header
    // as sent (no `-shadow` suffix) (route.go: TranslateRequestMirrorPolicy,
    // DISABLE_SHADOW_HOST_SUFFIX defaulting to true).
    action.request_mirror_policies = r.mirrors.map((m) => ({
      cluster: m.cluster,
      trace_sampled: { value: false },
      disable_shadow_host_suffix_append: true,
      ...(m.fraction
        ? { runtime_fraction: { default_value: fraction(m.fraction) } }
        : m.percent !== undefined
          ? {
              runtime_fraction: {
                default_value: { numerator: Math.round(m.percent * 10_000), denominator: 'MILLION' as const },
              },
            }
          : {}),
    }));
  }
  return action;
}

/**
 * No timeout unless one is set (Envoy's default would be 15 s); a gRPC
 * `grpc-timeout` header may ask for at most the same (route.go: setTimeout).
 * istiod sets the deprecated `max_grpc_timeout`; its replacement carries the
 * same limit, and deprecated fields are never served.
 */
function setTimeout(action: NonNullable<Route['route']>, timeoutMs: number): void {
  action.timeout = seconds(timeoutMs);
  action.max_stream_duration = { grpc_timeout_header_max: seconds(timeoutMs) };
}

type RetryPolicy = NonNullable<NonNullable<Route['route']>['retry_policy']>;

let previousHosts: RetryPolicy['retry_host_predicate'] | undefined;
// Policies by their IR: the default one (one object) is built once, as istiod caches it.
/**
 * route/retry/retry.go: ConvertPolicy. Retries go to another host when one is
 * left (previous_hosts, up to 5 picks); no consistent-hash DestinationRule is
 * read, so the predicate is always there.
 */
const retryPolicy = derive((r: RetryIR): RetryPolicy => {
  previousHosts ??= [
    {
      name: names.RETRY_PREVIOUS_HOSTS,
      typed_config: pack('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate', {}),
    },
  ];
  const policy: RetryPolicy = {
    retry_on: r.retryOn.join(','),
    num_retries: { value: r.attempts },
    ...(r.codes.length > 0 ? { retriable_status_codes: r.codes } : {}),
    ...(r.perTryTimeoutMs !== undefined ? { per_try_timeout: seconds(r.perTryTimeoutMs) } : {}),
    retry_host_predicate: previousHosts,
    host_selection_retry_max_attempts: 5,
    ...(r.backoffBaseMs !== undefined ? { retry_back_off: { base_interval: seconds(r.backoffBaseMs) } } : {}),
    ...(r.remoteLocalities ? { retry_priority: remoteLocalitiesPriority() } : {}),
  };
  if (r.noHostPredicate) delete policy.retry_host_predicate;
  return policy;
});

/** route.go: TranslateCORSPolicy; preflights no origin matches are answered, not forwarded. */
function corsPerRoute(c: CorsIR, vs?: VsRouteIR) {
  return {
    [names.CORS_FILTER]: pack('envoy.extensions.filters.http.cors.v3.CorsPolicy', {
      allow_origin_string_match: c.allowOrigins.map(stringMatcher),
      ...(c.allowMethods.length > 0 ? { allow_methods: c.allowMethods.join(',') } : {}),
      ...(c.allowHeaders.length > 0 ? { allow_headers: c.allowHeaders.join(',') } : {}),
      ...(c.exposeHeaders.length > 0 ? { expose_headers: c.exposeHeaders.join(',') } : {}),
      ...(c.maxAgeSeconds !== undefined ? { max_age: String(c.maxAgeSeconds) } : {}),
      ...(vs?.corsAllowCredentials !== undefined
        ? { allow_credentials: { value: vs.corsAllowCredentials } }
        : c.allowCredentials
          ? { allow_credentials: { value: true } }
          : {}),
      filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' as const } },
      // route.go: forwardNotMatchingPreflights — a VirtualService forwards them unless told to ignore.
      forward_not_matching_preflights: { value: vs?.corsForwardNotMatching ?? false },
    }),
  };
}

export function envoyRoute(r: HttpRouteIR): Route {
  const lone =
    r.backends.length === 1 && !r.redirect && !r.directResponse && !r.vs?.weighted ? r.backends[0] : undefined;
  const route: Route = {
    name: r.name,
    match: routeMatch(r),
    ...headerFields('request', r.requestHeaders, lone?.requestHeaders),
    ...headerFields('response', r.responseHeaders, lone?.responseHeaders),
  };
  if (r.redirect) {
    const d = r.redirect;
    route.redirect = {
      ...(d.scheme ? { scheme_redirect: d.scheme } : {}),
      ...(d.hostname ? { host_redirect: d.hostname } : {}),
      ...(d.port !== undefined ? { port_redirect: d.port } : {}),
      ...(d.path?.kind === 'full' ? { path_redirect: d.path.value } : {}),
      ...(d.path?.kind === 'prefix' ? { prefix_rewrite: d.path.value } : {}),
      response_code: redirectCode(d.statusCode),
    };
  } else if (r.directResponse || r.backends.length === 0) {
    const body = r.directResponse?.body;
    const bytes = r.vs?.directResponseBytes;
    route.direct_response = {
      status: r.directResponse?.status ?? 500,
      ...(body !== undefined
        ? { body: { inline_string: body } }
        : bytes !== undefined
          ? { body: { inline_bytes: bytes } }
          : {}),
    };
  } else {
    route.route = routeAction(r);
  }
  if (r.cors || r.vs?.fault) {
    route.typed_per_filter_config = {
      ...(r.vs?.fault ? { [names.FAULT_FILTER]: faultPerRoute(r.vs.fault) } : {}),
      ...(r.cors ? corsPerRoute(r.cors, r.vs) : {}),
    };
  }
  if (r.vs?.statPrefix) route.stat_prefix = r.vs.statPrefix;
  return route;
}

function redirectCode(status: number) {
  switch (status) {
    case 301:
      return 'MOVED_PERMANENTLY' as const;
    case 303:
      return 'SEE_OTHER' as const;
    case 307:
      return 'TEMPORARY_REDIRECT' as const;
    case 308:
      return 'PERMANENT_REDIRECT' as const;
    default:
      return 'FOUND' as const;
  }
}

function routeConfig(name: string, port: number, routes: Route[], domains = ['*']): RouteConfiguration {
  return {
    name,
    validate_clusters: { value: false },
    virtual_hosts: [{ name: names.inboundVirtualHost(port), domains, routes }],
  };
}

/** What one HTTP chain's RouteConfiguration is built from besides its name (a tuple: compared without a key walk). */
type ChainRoutesInput = readonly [
  port: number,
  routes: readonly HttpRouteIR[],
  defaultHash: ConsistentHashLB | undefined,
  domains: string[] | undefined,
  retry: RetryIR | undefined,
];

function chainRoutes([port, routes, defaultHash, domains, retry]: ChainRoutesInput, name: string): RouteConfiguration {
  return routes.length > 0
    ? routeConfig(name, port, routes.map(envoyRoute), domains)
    : routeConfig(name, port, [defaultRoute(name, retry, defaultHash)]);
}

/** direct-http: workload-addressed HTTP goes on to the workload, tunnelled. */
function directRoutes(retry: RetryIR | null): RouteConfiguration {
  return {
    name: names.DIRECT_HTTP,
    validate_clusters: { value: false },
    virtual_hosts: [
      { name: names.DIRECT_HTTP, domains: ['*'], routes: [defaultRoute(names.ENCAP, retry ?? undefined)] },
    ],
  };
}

/**
 * The retry policy of routes no rule's retry applies to: the mesh config's
 * `defaultHttpRetryPolicy` when set (none for `attempts: 0`), else istiod's
 * default (route.go: applyHTTPRouteDestination, BuildDefaultHTTPOutboundRoute).
 */
export const defaultRetryOf = (ir: WaypointIR): RetryIR | undefined =>
  ir.meshRetry ? ir.meshRetry.retry : DEFAULT_RETRY;

/**
 * One RouteConfiguration per HTTP chain of a served service, named like the
 * chain; they read nothing but `svc` and the retry of routes without one.
 * Without any HTTPRoute the service's own traffic goes to its own cluster.
 */
export function serviceRouteRecipes(svc: ServiceIR, retry: RetryIR | undefined): Recipe<RouteConfiguration>[] {
  const out: Recipe<RouteConfiguration>[] = [];
  for (const p of svc.ports) {
    if (!chainProtocols(p.protocol).includes('http')) continue;
    const name = names.inboundVip(p.port, 'http', svc.hostname);
    // listener_waypoint.go: buildRouteVHostDomains — routes of a DYNAMIC_DNS
    // host answer only that host, so a forged Host cannot steer the proxy.
    const domains =
      svc.serviceEntry?.resolution === 'DYNAMIC_DNS' && p.httpRoutes.length > 0 ? [svc.hostname] : undefined;
    out.push(
      fromInput<ChainRoutesInput, RouteConfiguration>(
        name,
        [p.port, p.httpRoutes, p.defaultHash, domains, retry],
        chainRoutes,
      ),
    );
  }
  return out;
}

/** The waypoint's own route configuration: direct traffic to the encap cluster. */
export const directHttpRecipe = (retry: RetryIR | undefined): Recipe<RouteConfiguration> =>
  fromInput(names.DIRECT_HTTP, retry ?? null, directRoutes);

/**
 * A waypoint's route when no HTTPRoute applies: the service's own cluster,
 * no timeout, the default retry policy or the mesh config's (httproute.go:
 * buildSidecarInboundHTTPRouteConfig; route.go: BuildDefaultHTTPOutboundRoute).
 */
function defaultRoute(cluster: string, retry: RetryIR | undefined, hash?: ConsistentHashLB): Route {
  const action: NonNullable<Route['route']> = { cluster, ...(retry ? { retry_policy: retryPolicy(retry) } : {}) };
  if (hash) action.hash_policy = [hashPolicy(hash)];
  setTimeout(action, 0);
  return { name: 'default', match: { prefix: '/' }, route: action };
}
