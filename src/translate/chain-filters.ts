import { pack, type TypeMap } from '../envoy';
import type { AuthzPolicyIR, ChainPolicyIR } from './ir';
import { jwtFilter } from './jwt';
import { rbacRules, type ChainKind } from './rbac';
import { ISTIO_STATS, METADATA_EXCHANGE, PEER_METADATA } from './istio-extensions';
import * as names from './names';

type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];
type NetworkFilter = TypeMap['envoy.config.listener.v3.Filter'];

export interface ChainContext {
  kind: ChainKind;
  statPrefix: string;
  policy: ChainPolicyIR;
  trustDomain: string;
}

type RbacStage = 'AUDIT' | 'DENY' | 'ALLOW';

function stagePolicies(
  policies: readonly AuthzPolicyIR[],
  stage: RbacStage,
): { enforced: AuthzPolicyIR[]; dryRun: AuthzPolicyIR[] } {
  // CUSTOM without a usable provider fails closed: it is enforced as DENY.
  const matches = (p: AuthzPolicyIR) => p.action === stage || (stage === 'DENY' && p.action === 'CUSTOM');
  const all = policies.filter(matches);
  return { enforced: all.filter((p) => !p.dryRun), dryRun: all.filter((p) => p.dryRun) };
}

const ACTION = { AUDIT: 'LOG', DENY: 'DENY', ALLOW: 'ALLOW' } as const;
const SHADOW_PREFIX = { AUDIT: '', DENY: names.DRY_RUN_DENY_PREFIX, ALLOW: names.DRY_RUN_ALLOW_PREFIX } as const;

/** The RBAC config of one stage, or undefined when no policy of that action applies. */
function rbacStage(ctx: ChainContext, stage: RbacStage) {
  const { enforced, dryRun } = stagePolicies(ctx.policy.authz, stage);
  if (enforced.length === 0 && dryRun.length === 0) return undefined;
  return {
    ...(enforced.length > 0 ? { rules: rbacRules(enforced, ACTION[stage], ctx.trustDomain, ctx.kind) } : {}),
    ...(dryRun.length > 0
      ? {
          shadow_rules: rbacRules(dryRun, ACTION[stage], ctx.trustDomain, ctx.kind),
          shadow_rules_stat_prefix: SHADOW_PREFIX[stage],
        }
      : {}),
  };
}

function httpRbac(stage: RbacStage) {
  return (ctx: ChainContext): HttpFilter | undefined => {
    const cfg = rbacStage(ctx, stage);
    return (
      cfg && { name: 'envoy.filters.http.rbac', typed_config: pack('envoy.extensions.filters.http.rbac.v3.RBAC', cfg) }
    );
  };
}

function networkRbac(stage: RbacStage) {
  return (ctx: ChainContext): NetworkFilter | undefined => {
    const cfg = rbacStage(ctx, stage);
    return (
      cfg && {
        name: 'envoy.filters.network.rbac',
        typed_config: pack('envoy.extensions.filters.network.rbac.v3.RBAC', { ...cfg, stat_prefix: ctx.statPrefix }),
      }
    );
  };
}

/**
 * HTTP filters of a service chain, in the one order that matters: JWT
 * verification before RBAC (RBAC reads its result), AUDIT before DENY before
 * ALLOW, telemetry after policy, router last.
 */
const HTTP_FILTERS: ReadonlyArray<(ctx: ChainContext) => HttpFilter | undefined> = [
  (ctx) => jwtFilter(ctx.policy.jwt),
  httpRbac('AUDIT'),
  httpRbac('DENY'),
  httpRbac('ALLOW'),
  () => ({ name: PEER_METADATA.name, typed_config: PEER_METADATA.config() }),
  () => ({ name: ISTIO_STATS.httpName, typed_config: ISTIO_STATS.config('SERVER_GATEWAY') }),
  () => ({
    name: 'envoy.filters.http.router',
    typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}),
  }),
];

/** Network filters of a TCP chain before its tcp_proxy, in order. */
const NETWORK_FILTERS: ReadonlyArray<(ctx: ChainContext) => NetworkFilter | undefined> = [
  () => ({ name: METADATA_EXCHANGE.name, typed_config: METADATA_EXCHANGE.config() }),
  networkRbac('AUDIT'),
  networkRbac('DENY'),
  networkRbac('ALLOW'),
  () => ({ name: ISTIO_STATS.tcpName, typed_config: ISTIO_STATS.config('SERVER_GATEWAY') }),
];

export function httpFilters(ctx: ChainContext): HttpFilter[] {
  return HTTP_FILTERS.map((f) => f(ctx)).filter((f): f is HttpFilter => f !== undefined);
}

export function networkFilters(ctx: ChainContext): NetworkFilter[] {
  return NETWORK_FILTERS.map((f) => f(ctx)).filter((f): f is NetworkFilter => f !== undefined);
}
