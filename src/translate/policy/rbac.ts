import type { TypeMap } from '../../envoy';
import type { AuthzPolicyIR, AuthzRuleIR } from '../ir';
import {
  G,
  isError,
  type GenContext,
  type Generator,
  type Out,
  type Permission,
  type PermissionGen,
  type Principal,
  type PrincipalGen,
} from './rbac-generators';
import * as names from '../names';
import { expandTrustDomainAliases, replaceTrustDomainAliases } from './trust-domain';

export { JWT_FILTER, JWT_PAYLOAD_KEY } from './rbac-generators';

type Policy = TypeMap['envoy.config.rbac.v3.Policy'];
type RBAC = TypeMap['envoy.config.rbac.v3.RBAC'];
type Action = 'ALLOW' | 'DENY' | 'LOG';
type OneGen<T> = (key: string, value: string, c: GenContext) => Out<T>;
type AllGen<T> = (key: string, values: readonly string[], c: GenContext) => Out<T>;

/** 'grpc' is an HTTP chain in a proxyless gRPC server, where the peer identity is the mTLS principal. */
export type ChainKind = 'http' | 'tcp' | 'grpc';

// The RBAC policy of one rule, built as istiod's authz model builds it
// (pilot/pkg/security/authz/model/model.go): every `when` condition is
// consolidated into the permissions (destination/SNI/metadata) or the
// principals (everything about the peer or the request), each `to` and
// `from` entry becomes one AND-list, and the lists are OR-ed by Envoy.

interface Cond<Gen> {
  key: string;
  values: readonly string[];
  notValues: readonly string[];
  g: Gen;
}

/** model.go: New — which generator each `when` key uses; undefined for a key istiod does not know. */
function whenGenerator(key: string): Generator | undefined {
  switch (key) {
    case 'destination.ip':
      return G.destIP;
    case 'destination.port':
      return G.destPort;
    case 'connection.sni':
      return G.connSNI;
    case 'source.ip':
      return G.srcIP;
    case 'remote.ip':
      return G.remoteIP;
    case 'source.namespace':
      return G.srcNamespace;
    case 'source.trustDomain':
      return G.srcTrustDomain;
    case 'source.serviceAccount':
      return G.srcServiceAccount;
    case 'source.principal':
      return G.srcPrincipal;
    case 'request.auth.principal':
      return G.requestPrincipal;
    case 'request.auth.audiences':
      return G.requestAudiences;
    case 'request.auth.presenter':
      return G.requestPresenter;
  }
  if (key.startsWith('experimental.envoy.filters.')) return G.envoyFilter;
  if (key.startsWith('request.headers')) return G.requestHeader;
  if (key.startsWith('request.auth.claims')) return G.requestClaim;
  return undefined;
}

/** `when` keys istiod's model refuses (its validation webhook refuses them first). */
export function unknownWhenKeys(rule: AuthzRuleIR): string[] {
  return rule.when.filter((w) => !whenGenerator(w.key)).map((w) => w.key);
}

function cond<Gen extends Generator>(
  key: string,
  g: Gen,
  values: readonly string[],
  notValues: readonly string[],
): Cond<Gen>[] {
  return values.length + notValues.length > 0 ? [{ key, g, values, notValues }] : [];
}

/** model.go: New — the principal and permission lists of one rule, in istiod's order. */
function model(rule: AuthzRuleIR): { principals: Cond<PrincipalGen>[][]; permissions: Cond<PermissionGen>[][] } {
  const basePrincipal: Cond<PrincipalGen>[] = [];
  const basePermission: Cond<PermissionGen>[] = [];
  for (const w of rule.when) {
    const g = whenGenerator(w.key);
    // An unknown key in ALLOW drops the rule (see rulePolicy); in DENY and
    // AUDIT it only drops the condition, so the rule matches more, not less.
    if (!g) continue;
    if (g.side === 'principal') basePrincipal.push(...cond(w.key, g, w.values, w.notValues));
    else basePermission.push(...cond(w.key, g, w.values, w.notValues));
  }
  const principals = rule.from.map((s) => [
    ...cond('source.principal', G.srcPrincipal, s.principals, s.notPrincipals),
    ...cond('request.auth.principal', G.requestPrincipal, s.requestPrincipals, s.notRequestPrincipals),
    ...cond('source.serviceAccount', G.srcServiceAccount, s.serviceAccounts, s.notServiceAccounts),
    ...cond('source.trustDomain', G.srcTrustDomain, s.trustDomains, s.notTrustDomains),
    ...cond('source.namespace', G.srcNamespace, s.namespaces, s.notNamespaces),
    ...cond('remote.ip', G.remoteIP, s.remoteIpBlocks, s.notRemoteIpBlocks),
    ...cond('source.ip', G.srcIP, s.ipBlocks, s.notIpBlocks),
    ...basePrincipal,
  ]);
  const permissions = rule.to.map((o) => [
    ...cond(':authority', G.host, o.hosts, o.notHosts),
    ...cond(':method', G.method, o.methods, o.notMethods),
    ...cond('path-matcher', G.path, o.paths, o.notPaths),
    ...cond('destination.port', G.destPort, o.ports, o.notPorts),
    ...basePermission,
  ]);
  return {
    principals: principals.length > 0 ? principals : [basePrincipal],
    permissions: permissions.length > 0 ? permissions : [basePermission],
  };
}

/** model.go: MigrateTrustDomain — principals and trust domains under every trust domain of the bundle. */
function migrateTrustDomain<M extends { principals: Cond<PrincipalGen>[][] }>(m: M, bundle?: readonly string[]): M {
  if (!bundle || bundle.length === 0) return m;
  const migrate = (c: Cond<PrincipalGen>): Cond<PrincipalGen> => {
    if (c.key === 'source.principal')
      return {
        ...c,
        values: replaceTrustDomainAliases(bundle, c.values),
        notValues: replaceTrustDomainAliases(bundle, c.notValues),
      };
    if (c.key === 'source.trustDomain')
      return {
        ...c,
        values: expandTrustDomainAliases(bundle, c.values),
        notValues: expandTrustDomainAliases(bundle, c.notValues),
      };
    return c;
  };
  return { ...m, principals: m.principals.map((list) => list.map(migrate)) };
}

class RuleError extends Error {}

/**
 * model.go: rule.permission / rule.principal with checkError: a value that
 * cannot be expressed fails the whole rule under ALLOW (it then allows
 * nothing) and is skipped under DENY/AUDIT (the rule then matches more).
 */
function build<T extends object>(
  c: Cond<{ one?: OneGen<T>; all?: AllGen<T> }>,
  ctx: GenContext,
  action: Action,
  or: (xs: T[]) => T,
  not: (x: T) => T,
): T[] {
  const check = (r: Out<T> | undefined): T | undefined => {
    if (r === undefined) return undefined;
    if (isError(r)) {
      if (action === 'ALLOW') throw new RuleError(r.error);
      return undefined;
    }
    return r;
  };
  const { one, all } = c.g;
  const out: T[] = [];
  const side = (vs: readonly string[], negate: boolean) => {
    if (vs.length === 0) return;
    let p: T | undefined;
    if (all) {
      p = check(all(c.key, vs, ctx));
    } else {
      const each = vs.map((v) => check(one?.(c.key, v, ctx))).filter((x): x is T => x !== undefined);
      p = each.length > 0 ? or(each) : undefined;
    }
    if (p) out.push(negate ? not(p) : p);
  };
  side(c.values, false);
  side(c.notValues, true);
  return out;
}

const ANY_PRINCIPAL: Principal = { any: true };
const ANY_PERMISSION: Permission = { any: true };

/** model.go: Generate; null when the rule is skipped (an ALLOW rule that cannot be expressed). */
export function rulePolicy(rule: AuthzRuleIR, ctx: GenContext, action: Action): Policy | null {
  const r = generate(rule, ctx, action);
  return 'error' in r ? null : r;
}

/**
 * Why a rule cannot be expressed as written (an unknown `when` key, a value
 * that is not a port, an address, …), judged as on an HTTP chain; undefined
 * when it can. The same rule is dropped from an ALLOW and narrowed in a DENY.
 */
export function ruleProblem(rule: AuthzRuleIR, namespace: string): string | undefined {
  const r = generate(rule, { forTCP: false, useAuthenticated: false, namespace }, 'ALLOW');
  return 'error' in r ? r.error : undefined;
}

function generate(rule: AuthzRuleIR, ctx: GenContext, action: Action): Policy | { error: string } {
  const unknown = unknownWhenKeys(rule);
  if (action === 'ALLOW' && unknown.length > 0) return { error: `unknown attribute ${unknown.join(', ')}` };
  const m = migrateTrustDomain(model(rule), ctx.trustDomains);
  try {
    const permissions = m.permissions.map((list): Permission => {
      const and = list.flatMap((c) =>
        build<Permission>(
          c,
          ctx,
          action,
          (rules) => ({ or_rules: { rules } }),
          (p) => ({ not_rule: p }),
        ),
      );
      return { and_rules: { rules: and.length > 0 ? and : [ANY_PERMISSION] } };
    });
    const principals = m.principals.map((list): Principal => {
      const and = list.flatMap((c) =>
        build<Principal>(
          c,
          ctx,
          action,
          (ids) => ({ or_ids: { ids } }),
          (p) => ({ not_id: p }),
        ),
      );
      return { and_ids: { ids: and.length > 0 ? and : [ANY_PRINCIPAL] } };
    });
    return { permissions, principals };
  } catch (e) {
    if (e instanceof RuleError) return { error: e.message };
    throw e;
  }
}

/** builder.go: rbacPolicyMatchNever — what a policy without rules contributes. */
const MATCH_NEVER: Policy = {
  permissions: [{ not_rule: { any: true } }],
  principals: [{ not_id: { any: true } }],
};

/** The RBAC key of rule `index` of a policy (builder.go: policyName). */
export type PolicyKey = (p: AuthzPolicyIR, index: number) => string;
const plainKey: PolicyKey = (p, i) => names.rbacPolicyKey(p.namespace, p.name, i);

/** builder.go: build — the RBAC rules for policies of one action: keys `ns[..]-policy[..]-rule[i]` by default. */
export function buildRbac(
  policies: readonly AuthzPolicyIR[],
  action: Action,
  opts: { forTCP: boolean; useAuthenticated: boolean; trustDomains?: readonly string[] },
  keyOf: PolicyKey = plainKey,
): RBAC {
  const out: Record<string, Policy> = {};
  for (const p of policies) {
    const bundle = opts.trustDomains && [...opts.trustDomains, ...(p.trustDomainAliases ?? [])];
    const ctx: GenContext = { ...opts, namespace: p.namespace, ...(bundle ? { trustDomains: bundle } : {}) };
    p.rules.forEach((rule, i) => {
      const policy = rulePolicy(rule, ctx, action);
      if (policy) out[keyOf(p, p.ruleIndexes?.[i] ?? i)] = policy;
    });
    // Only a policy written without rules gets the never-matching entry; one
    // whose rules were all skipped contributes nothing (builder.go: build).
    if (p.rules.length === 0 && !p.ruleIndexes) out[keyOf(p, 0)] = MATCH_NEVER;
  }
  return { action, policies: out };
}

/** The RBAC rules of one chain kind: waypoints read the peer from filter state, proxyless gRPC from mTLS. */
export function rbacRules(
  policies: readonly AuthzPolicyIR[],
  action: Action,
  trustDomain: string,
  kind: ChainKind,
  keyOf?: PolicyKey,
): RBAC {
  const opts = { forTCP: kind === 'tcp', useAuthenticated: kind === 'grpc', trustDomains: [trustDomain] };
  return buildRbac(policies, action, opts, keyOf);
}
