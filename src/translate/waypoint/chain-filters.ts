import { pack, type TypeMap } from '../../envoy';
import { derive } from '../derived';
import type { AuthzPolicyIR, ChainPolicyIR, ExtAuthzIR, JwtRuleIR } from '../ir';
import { once, seconds } from '../common';
import { jwtFilter } from '../policy/jwt';
import { rbacRules, type ChainKind, type PolicyKey } from '../policy/rbac';
import { istioStats, metadataExchange, upstreamPeerMetadata } from './istio-extensions';
import * as names from '../names';

type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];
type NetworkFilter = TypeMap['envoy.config.listener.v3.Filter'];

/** What a chain's filters are built from; HTTP chains' filters read nothing else. */
export interface FilterInput {
  kind: ChainKind;
  policy: ChainPolicyIR;
  trustDomain: string;
  /** A wildcard ServiceEntry host's DNS cache: its HTTP chain resolves the Host header (listener_builder.go). */
  dnsCache?: string;
}

/** A TCP chain's filters also read the chain's stat prefix. */
export interface ChainContext extends FilterInput {
  statPrefix: string;
}

export type RbacStage = 'AUDIT' | 'DENY' | 'ALLOW';

/** The one ext_authz provider a chain uses: the first CUSTOM policy's (Istio allows one). */
function customProvider(ctx: FilterInput): ExtAuthzIR | undefined {
  return ctx.policy.authz.find((p) => p.action === 'CUSTOM' && p.custom)?.custom;
}

function stagePolicies(ctx: FilterInput, stage: RbacStage): { enforced: AuthzPolicyIR[]; dryRun: AuthzPolicyIR[] } {
  const chosen = customProvider(ctx)?.provider;
  // A CUSTOM policy that cannot go to its provider fails closed: enforced as DENY.
  const unusable = (p: AuthzPolicyIR) =>
    p.action === 'CUSTOM' &&
    (!p.custom || p.custom.provider !== chosen || (ctx.kind === 'tcp' && p.custom.kind !== 'grpc'));
  const matches = (p: AuthzPolicyIR) => p.action === stage || (stage === 'DENY' && unusable(p));
  const all = ctx.policy.authz.filter(matches);
  return { enforced: all.filter((p) => !p.dryRun || unusable(p)), dryRun: all.filter((p) => p.dryRun && !unusable(p)) };
}

/** CUSTOM policies that do reach their provider on this chain. */
function customPolicies(ctx: FilterInput): AuthzPolicyIR[] {
  const chosen = customProvider(ctx);
  if (!chosen || (ctx.kind === 'tcp' && chosen.kind !== 'grpc')) return [];
  return ctx.policy.authz.filter((p) => p.action === 'CUSTOM' && p.custom?.provider === chosen.provider);
}

const EXT_AUTHZ_PREFIX = 'istio_ext_authz_';

/** builder.go: policyName — a CUSTOM policy's key names its provider. */
const customKey: PolicyKey = (p, i) => names.customPolicyKey(p.provider ?? '', p.namespace, p.name, i);

/**
 * builder.go: getBadCustomDenyRules — a CUSTOM policy whose provider cannot
 * be used is enforced as DENY under its CUSTOM key plus a suffix saying why;
 * the other policies of the DENY stage keep their plain keys.
 */
const denyStageKey: PolicyKey = (p, i) =>
  p.action === 'CUSTOM'
    ? customKey(p, i) + names.BAD_CUSTOM_ACTION_SUFFIX
    : names.rbacPolicyKey(p.namespace, p.name, i);

/**
 * ext_authz is called only for requests a CUSTOM policy of its provider
 * matches: a shadow RBAC filter marks them in dynamic metadata, which enables
 * ext_authz (extauthz.go: generateFilterMatcherForProvider).
 */
function enabledBy(filter: string, provider: string) {
  return {
    filter,
    path: [{ key: `${EXT_AUTHZ_PREFIX}shadow_effective_policy_id` }],
    value: { string_match: { prefix: names.extAuthzEnablePrefix(provider) } },
  };
}

function grpcService(c: ExtAuthzIR) {
  return { envoy_grpc: { cluster_name: c.cluster, authority: c.host }, timeout: seconds(c.timeoutMs) };
}

type ListStringMatcher = TypeMap['envoy.type.matcher.v3.ListStringMatcher'];

/**
 * extauthz.go: generateHeaders — case-insensitive patterns, `*x` a suffix
 * and `x*` a prefix; no list at all when there are no names (Envoy rejects
 * an empty one).
 */
function headerPatterns(names: string[]): ListStringMatcher | undefined {
  if (names.length === 0) return undefined;
  return {
    patterns: names.map((h) =>
      h.startsWith('*')
        ? { suffix: h.slice(1), ignore_case: true }
        : h.endsWith('*')
          ? { prefix: h.slice(0, -1), ignore_case: true }
          : { exact: h, ignore_case: true },
    ),
  };
}

/** extauthz.go: withBodyRequest. */
function withRequestBody(c: ExtAuthzIR) {
  const b = c.includeRequestBodyInCheck;
  if (!b) return {};
  return {
    with_request_body: {
      max_request_bytes: b.maxRequestBytes,
      allow_partial_message: b.allowPartialMessage,
      pack_as_bytes: b.packAsBytes,
    },
  };
}

/** extauthz.go: generateHTTPConfig — the HTTP service; the URI is required but unused, so it names only the host. */
function httpService(c: ExtAuthzIR) {
  const allowedUpstream = headerPatterns(c.headersToUpstreamOnAllow);
  const allowedClient = headerPatterns(c.headersToDownstreamOnDeny);
  const allowedClientOnSuccess = headerPatterns(c.headersToDownstreamOnAllow);
  const anyResponse = allowedUpstream || allowedClient || allowedClientOnSuccess;
  return {
    server_uri: { uri: `http://${c.host}`, cluster: c.cluster, timeout: seconds(c.timeoutMs) },
    path_prefix: c.pathPrefix ?? '',
    ...(c.includeAdditionalHeadersInCheck.length > 0
      ? { authorization_request: { headers_to_add: c.includeAdditionalHeadersInCheck } }
      : {}),
    ...(anyResponse
      ? {
          authorization_response: {
            ...(allowedUpstream ? { allowed_upstream_headers: allowedUpstream } : {}),
            ...(allowedClient ? { allowed_client_headers: allowedClient } : {}),
            ...(allowedClientOnSuccess ? { allowed_client_headers_on_success: allowedClientOnSuccess } : {}),
          },
        }
      : {}),
  };
}

function customShadow(ctx: FilterInput, policies: AuthzPolicyIR[]) {
  return {
    shadow_rules: rbacRules(policies, 'DENY', ctx.trustDomain, ctx.kind, customKey),
    shadow_rules_stat_prefix: EXT_AUTHZ_PREFIX,
  };
}

function httpExtAuthz(ctx: FilterInput): HttpFilter[] {
  const policies = customPolicies(ctx);
  const c = customProvider(ctx);
  if (policies.length === 0 || !c) return [];
  const common = {
    transport_api_version: 'V3' as const,
    failure_mode_allow: c.failOpen,
    ...(c.statusOnError !== undefined ? { status_on_error: { code: c.statusOnError as never } } : {}),
    filter_enabled_metadata: enabledBy('envoy.filters.http.rbac', c.provider),
    ...withRequestBody(c),
  };
  const allowed = headerPatterns(c.includeRequestHeadersInCheck);
  // extauthz.go: generateGRPCConfig / generateHTTPConfig.
  const config =
    c.kind === 'grpc'
      ? pack('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', { ...common, grpc_service: grpcService(c) })
      : pack('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz', {
          ...common,
          ...(allowed ? { allowed_headers: allowed } : {}),
          http_service: httpService(c),
        });
  return [
    {
      name: 'envoy.filters.http.rbac',
      typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', customShadow(ctx, policies)),
    },
    { name: 'envoy.filters.http.ext_authz', typed_config: config },
  ];
}

function networkExtAuthz(ctx: ChainContext): NetworkFilter[] {
  const policies = customPolicies(ctx);
  const c = customProvider(ctx);
  if (policies.length === 0 || !c) return [];
  return [
    {
      name: 'envoy.filters.network.rbac',
      typed_config: pack('envoy.extensions.filters.network.rbac.v3.RBAC', {
        stat_prefix: ctx.statPrefix,
        ...customShadow(ctx, policies),
      }),
    },
    {
      name: 'envoy.filters.network.ext_authz',
      // extauthz.go: generateGRPCConfig names the TCP filter's stats `tcp.`.
      typed_config: pack('envoy.extensions.filters.network.ext_authz.v3.ExtAuthz', {
        stat_prefix: 'tcp.',
        grpc_service: grpcService(c),
        failure_mode_allow: c.failOpen,
        transport_api_version: 'V3',
        filter_enabled_metadata: enabledBy('envoy.filters.network.rbac', c.provider),
      }),
    },
  ];
}

const ACTION = { AUDIT: 'LOG', DENY: 'DENY', ALLOW: 'ALLOW' } as const;
const SHADOW_PREFIX = { AUDIT: '', DENY: names.DRY_RUN_DENY_PREFIX, ALLOW: names.DRY_RUN_ALLOW_PREFIX } as const;

/**
 * builder.go: shadowRuleStatPrefix reads the action of the shadow rules, and
 * a filter without them reads the default action (ALLOW): so every RBAC filter
 * istiod builds carries the dry-run-allow prefix unless it has shadow rules.
 */
export function shadowStatPrefix(stage: RbacStage, hasShadow: boolean): string {
  return hasShadow ? SHADOW_PREFIX[stage] : names.DRY_RUN_ALLOW_PREFIX;
}

/** The RBAC config of one stage, or undefined when no policy of that action applies. */
function rbacStage(ctx: FilterInput, stage: RbacStage) {
  const { enforced, dryRun } = stagePolicies(ctx, stage);
  return rbacConfig(enforced, dryRun, stage, ctx.trustDomain, ctx.kind);
}

/** The RBAC config of one stage's policies: a function of its arguments alone (httpRbac memoises on them). */
function rbacConfig(
  enforced: readonly AuthzPolicyIR[],
  dryRun: readonly AuthzPolicyIR[],
  stage: RbacStage,
  trustDomain: string,
  kind: ChainKind,
) {
  if (enforced.length === 0 && dryRun.length === 0) return undefined;
  return {
    ...(enforced.length > 0
      ? { rules: rbacRules(enforced, ACTION[stage], trustDomain, kind, stage === 'DENY' ? denyStageKey : undefined) }
      : {}),
    ...(dryRun.length > 0 ? { shadow_rules: rbacRules(dryRun, ACTION[stage], trustDomain, kind) } : {}),
    shadow_rules_stat_prefix: shadowStatPrefix(stage, dryRun.length > 0),
  };
}

// An HTTP RBAC stage is a function of its policies, the stage, the chain kind
// and the trust domain (rbacConfig's arguments). Chains whose own policy adds
// only ALLOW rules share the waypoint's AUDIT and DENY policy objects (see
// buildWaypointIR), so those stages are built and packed once per waypoint:
// memoised on the first policy object, then matched by the identity of every
// policy in the stage and the other arguments.
interface StageMemo {
  key: string;
  enforced: readonly AuthzPolicyIR[];
  dryRun: readonly AuthzPolicyIR[];
  filter: HttpFilter | undefined;
}
const HTTP_RBAC_MEMO = new WeakMap<AuthzPolicyIR, StageMemo[]>();
const MAX_STAGE_MEMOS = 8;

const sameList = (a: readonly AuthzPolicyIR[], b: readonly AuthzPolicyIR[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

function httpRbac(stage: RbacStage) {
  return (ctx: FilterInput): HttpFilter | undefined => {
    const { enforced, dryRun } = stagePolicies(ctx, stage);
    const first = enforced[0] ?? dryRun[0];
    if (!first) return undefined;
    const { trustDomain, kind } = ctx;
    const key = `${kind}|${stage}|${trustDomain}`;
    let memos = HTTP_RBAC_MEMO.get(first);
    if (!memos) HTTP_RBAC_MEMO.set(first, (memos = []));
    const hit = memos.find((m) => m.key === key && sameList(m.enforced, enforced) && sameList(m.dryRun, dryRun));
    if (hit) return hit.filter;
    const cfg = rbacConfig(enforced, dryRun, stage, trustDomain, kind);
    const filter = cfg && {
      name: 'envoy.filters.http.rbac',
      typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', cfg),
    };
    // Stages that differ per service (their own DENY rules) are not worth remembering.
    if (memos.length < MAX_STAGE_MEMOS) memos.push({ key, enforced, dryRun, filter });
    return filter;
  };
}

function networkRbac(stage: RbacStage) {
  return (ctx: ChainContext): NetworkFilter | undefined => {
    const cfg = rbacStage(ctx, stage);
    return (
      cfg && {
        name: 'envoy.filters.network.rbac',
        typed_config: pack('envoy.extensions.filters.network.rbac.v3.RBAC', { ...cfg, stat_prefix: 'tcp.' }),
      }
    );
  };
}

// Services with a policy of their own of another kind share the waypoint's
// JWT rules list (see buildWaypointIR), so its filter is packed once.
const jwtFilterOf = derive((rules: readonly JwtRuleIR[]): HttpFilter | undefined => jwtFilter(rules));

/**
 * filters.go: BuildWaypointInboundDFPFilter — resolves a wildcard host's
 * requests by their Host header, into the cache its cluster reads.
 */
function dfpHttpFilter(cache: string): HttpFilter {
  return {
    name: names.DFP_HTTP_FILTER,
    typed_config: pack('envoy.extensions.filters.http.dynamic_forward_proxy.v3.FilterConfig', {
      dns_cache_config: { name: cache, dns_lookup_family: 'V4_ONLY' },
    }),
  };
}

/**
 * networkfilter.go: buildSNIDFPFilter — resolves a wildcard DYNAMIC_DNS
 * host's TLS connections by their SNI, on the port they came to.
 */
export function sniDfpFilter(cache: string, port: number): NetworkFilter {
  return {
    name: names.SNI_DFP_FILTER,
    typed_config: pack('envoy.extensions.filters.network.sni_dynamic_forward_proxy.v3.FilterConfig', {
      dns_cache_config: { name: cache, dns_lookup_family: 'V4_ONLY' },
      port_value: port,
    }),
  };
}

/**
 * HTTP filters of a service chain, in the one order that matters: CUSTOM
 * (ext_authz) first, then JWT
 * verification before RBAC (RBAC reads its result), AUDIT before DENY before
 * ALLOW, telemetry after policy, router last.
 */
const HTTP_FILTERS: ReadonlyArray<(ctx: FilterInput) => HttpFilter | HttpFilter[] | undefined> = [
  httpExtAuthz,
  (ctx) => jwtFilterOf(ctx.policy.jwt),
  httpRbac('AUDIT'),
  httpRbac('DENY'),
  httpRbac('ALLOW'),
  once(() => ({
    name: 'envoy.filters.http.grpc_stats',
    typed_config: pack('envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', {
      emit_filter_state: true,
      stats_for_all_methods: { value: false },
    }),
  })),
  once(() => ({
    name: 'envoy.filters.http.fault',
    typed_config: pack('envoy.extensions.filters.http.fault.v3.HTTPFault', {}),
  })),
  once(() => ({
    name: 'envoy.filters.http.cors',
    typed_config: pack('envoy.extensions.filters.http.cors.v3.Cors', {}),
  })),
  (ctx) => (ctx.dnsCache ? dfpHttpFilter(ctx.dnsCache) : undefined),
  once(upstreamPeerMetadata),
  statsFilters,
  once(() => ({
    name: 'envoy.filters.http.router',
    typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}),
  })),
];

/** Network filters of a TCP chain before its tcp_proxy, in order. */
const NETWORK_FILTERS: ReadonlyArray<(ctx: ChainContext) => NetworkFilter | NetworkFilter[] | undefined> = [
  once(metadataExchange),
  networkExtAuthz,
  networkRbac('AUDIT'),
  networkRbac('DENY'),
  networkRbac('ALLOW'),
  statsFilters,
];

/** telemetry.go: buildHTTPTelemetryFilter, buildTCPTelemetryFilter — the default one unless Telemetry says otherwise. */
const defaultStats = once(() => istioStats());
function statsFilters(ctx: FilterInput): ReturnType<typeof istioStats>[] {
  return ctx.policy.stats ? ctx.policy.stats.map((f) => istioStats(f)) : [defaultStats()];
}

// An HTTP chain's filters are a function of its policy, the trust domain and
// the DNS cache (httpFilters' arguments; FilterInput has no stat prefix), and
// services with no policy of their own share one policy object (see
// buildWaypointIR), so their filters are built and packed once per
// translation, not once per service.
const HTTP_FILTER_MEMO = new WeakMap<ChainPolicyIR, Map<string, HttpFilter[]>>();

export function httpFilters(policy: ChainPolicyIR, trustDomain: string, dnsCache?: string): readonly HttpFilter[] {
  let byRest = HTTP_FILTER_MEMO.get(policy);
  if (!byRest) HTTP_FILTER_MEMO.set(policy, (byRest = new Map()));
  const key = dnsCache ? `${trustDomain}|${dnsCache}` : trustDomain;
  let filters = byRest.get(key);
  if (!filters) {
    const input: FilterInput = { kind: 'http', policy, trustDomain, ...(dnsCache ? { dnsCache } : {}) };
    byRest.set(key, (filters = HTTP_FILTERS.flatMap((f) => f(input) ?? [])));
  }
  return filters;
}

export function networkFilters(ctx: ChainContext): NetworkFilter[] {
  return NETWORK_FILTERS.flatMap((f) => f(ctx) ?? []);
}
