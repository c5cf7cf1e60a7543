import type { TypeMap } from '../envoy';
import { checkedValue, parseIpOrCidr, parsePortString } from '../model/values';
import type { AuthzOperationIR, AuthzPolicyIR, AuthzRuleIR, AuthzSourceIR } from './ir';
import * as names from './names';

type Policy = TypeMap['envoy.config.rbac.v3.Policy'];
type Principal = TypeMap['envoy.config.rbac.v3.Principal'];
type Permission = TypeMap['envoy.config.rbac.v3.Permission'];
type StringMatcher = TypeMap['envoy.type.matcher.v3.StringMatcher'];
type RBAC = TypeMap['envoy.config.rbac.v3.RBAC'];

/** 'grpc' is an HTTP chain in a proxyless gRPC server, where the peer identity is the mTLS principal. */
export type ChainKind = 'http' | 'tcp' | 'grpc';

/** Keys of `when` conditions that need HTTP (request.*); everything else is L4. */
const HTTP_ONLY_CONDITION = /^request\./;

// Istio's AuthorizationPolicy value syntax: "*" any, "x*" prefix, "*x" suffix.
function istioMatch(v: string): StringMatcher {
  if (v === '*') return { safe_regex: { regex: '.+' } };
  if (v.startsWith('*')) return { suffix: v.slice(1) };
  if (v.endsWith('*')) return { prefix: v.slice(0, -1) };
  return { exact: v };
}

function principalMatch(identity: string, trustDomain: string): StringMatcher {
  // Principals are written without the scheme (cluster.local/ns/x/sa/y).
  const withScheme = (s: string) => `${names.SPIFFE_SCHEME}${s}`;
  if (identity === '*') return { safe_regex: { regex: '.+' } };
  if (identity.endsWith('*')) return { prefix: withScheme(identity.slice(0, -1)) };
  if (identity.startsWith('*')) return { suffix: identity.slice(1) };
  void trustDomain;
  return { exact: withScheme(identity) };
}

const peer = (m: StringMatcher, kind: ChainKind): Principal =>
  kind === 'grpc'
    ? { authenticated: { principal_name: m } }
    : { filter_state: { key: names.PEER_PRINCIPAL_KEY, string_match: m } };

function nsMatcher(ns: string): StringMatcher {
  if (ns === '*') return { safe_regex: { regex: '.+' } };
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  if (ns.endsWith('*')) return { safe_regex: { regex: `.*/ns/${esc(ns.slice(0, -1))}[^/]*/.*` } };
  if (ns.startsWith('*')) return { safe_regex: { regex: `.*/ns/[^/]*${esc(ns.slice(1))}/.*` } };
  return { safe_regex: { regex: `.*/ns/${esc(ns)}/.*` } };
}

function cidr(block: string): TypeMap['envoy.config.core.v3.CidrRange'] {
  const { prefixLen } = checkedValue(parseIpOrCidr, block);
  return { address_prefix: block.split('/')[0] ?? '', prefix_len: { value: prefixLen } };
}

// request.auth.principal is "<iss>/<sub>"; jwt_authn writes the verified payload to metadata.
function requestPrincipal(v: string): Principal {
  const path = (key: string) => [{ key: JWT_PAYLOAD_KEY }, { key }];
  const meta = (key: string, m: StringMatcher): Principal => ({
    metadata: { filter: JWT_FILTER, path: path(key), value: { string_match: m } },
  });
  if (v === '*') return meta('iss', { safe_regex: { regex: '.+' } });
  const slash = v.lastIndexOf('/');
  if (slash < 0 || v.includes('*')) return meta('iss', istioMatch(v));
  return { and_ids: { ids: [meta('iss', { exact: v.slice(0, slash) }), meta('sub', { exact: v.slice(slash + 1) })] } };
}

export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

function anyOf<T>(items: T[], wrap: (ids: T[]) => T): T | undefined {
  if (items.length === 0) return undefined;
  return items.length === 1 ? items[0] : wrap(items);
}

const orIds = (ids: Principal[]): Principal => ({ or_ids: { ids } });
const orRules = (rules: Permission[]): Permission => ({ or_rules: { rules } });
const notId = (p: Principal): Principal => ({ not_id: p });
const notRule = (p: Permission): Permission => ({ not_rule: p });

/** AND of field groups; each group is an OR of its values; not* fields negate. */
function sourcePrincipal(s: AuthzSourceIR, td: string, kind: ChainKind, deny: boolean): Principal | null {
  const and: Principal[] = [];
  const add = (values: string[], f: (v: string) => Principal, negate: boolean) => {
    const p = anyOf(values.map(f), orIds);
    if (p) and.push(negate ? notId(p) : p);
  };
  add(s.principals, (v) => peer(principalMatch(v, td), kind), false);
  add(s.notPrincipals, (v) => peer(principalMatch(v, td), kind), true);
  add(s.namespaces, (v) => peer(nsMatcher(v), kind), false);
  add(s.notNamespaces, (v) => peer(nsMatcher(v), kind), true);
  add(s.ipBlocks, (v) => ({ direct_remote_ip: cidr(v) }), false);
  add(s.notIpBlocks, (v) => ({ direct_remote_ip: cidr(v) }), true);
  add(s.remoteIpBlocks, (v) => ({ remote_ip: cidr(v) }), false);
  add(s.notRemoteIpBlocks, (v) => ({ remote_ip: cidr(v) }), true);
  const httpOnly = s.requestPrincipals.length + s.notRequestPrincipals.length > 0;
  if (httpOnly && kind === 'tcp') {
    // Cannot be evaluated on TCP: an ALLOW rule becomes unmatchable (narrower),
    // a DENY rule drops the field (wider). Never fail open.
    if (!deny) return null;
  } else {
    add(s.requestPrincipals, requestPrincipal, false);
    add(s.notRequestPrincipals, requestPrincipal, true);
  }
  return and.length === 0 ? { any: true } : and.length === 1 ? (and[0] as Principal) : { and_ids: { ids: and } };
}

function operationPermission(o: AuthzOperationIR, kind: ChainKind, deny: boolean): Permission | null {
  const and: Permission[] = [];
  const add = (values: string[], f: (v: string) => Permission, negate: boolean) => {
    const p = anyOf(values.map(f), orRules);
    if (p) and.push(negate ? notRule(p) : p);
  };
  const port = (v: string): Permission => ({ destination_port: checkedValue(parsePortString, v) });
  add(o.ports, port, false);
  add(o.notPorts, port, true);
  const http =
    o.hosts.length + o.notHosts.length + o.methods.length + o.notMethods.length + o.paths.length + o.notPaths.length >
    0;
  if (http && kind === 'tcp') {
    if (!deny) return null;
  } else {
    const host = (v: string): Permission => ({
      header: { name: ':authority', string_match: { ...istioMatch(v), ignore_case: true } },
    });
    const method = (v: string): Permission => ({ header: { name: ':method', string_match: istioMatch(v) } });
    const path = (v: string): Permission => ({ url_path: { path: istioMatch(v) } });
    add(o.hosts, host, false);
    add(o.notHosts, host, true);
    add(o.methods, method, false);
    add(o.notMethods, method, true);
    add(o.paths, path, false);
    add(o.notPaths, path, true);
  }
  return and.length === 0 ? { any: true } : and.length === 1 ? (and[0] as Permission) : { and_rules: { rules: and } };
}

function conditionPermission(
  c: AuthzRuleIR['when'][number],
  kind: ChainKind,
  deny: boolean,
): { perm?: Permission; principal?: Principal } | null {
  if (HTTP_ONLY_CONDITION.test(c.key) && kind === 'tcp') return deny ? {} : null;
  const header = /^request\.headers\[(.+)\]$/.exec(c.key);
  const claim = /^request\.auth\.claims\[(.+)\]$/.exec(c.key);
  const values = (vs: string[], f: (v: string) => Permission) => anyOf(vs.map(f), orRules);
  const pvalues = (vs: string[], f: (v: string) => Principal) => anyOf(vs.map(f), orIds);
  const both = <T>(pos: T | undefined, neg: T | undefined, and: (x: T[]) => T, not: (x: T) => T): T | undefined => {
    const parts = [pos, neg ? not(neg) : undefined].filter((x): x is T => x !== undefined);
    return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : and(parts);
  };
  const permAnd = (rules: Permission[]): Permission => ({ and_rules: { rules } });
  const prinAnd = (ids: Principal[]): Principal => ({ and_ids: { ids } });
  if (header) {
    const f = (v: string): Permission => ({ header: { name: header[1] ?? '', string_match: istioMatch(v) } });
    return { perm: both(values(c.values, f), values(c.notValues, f), permAnd, notRule) };
  }
  if (claim) {
    const path = (claim[1] ?? '').split('.').map((key) => ({ key }));
    const f = (v: string): Principal => ({
      metadata: {
        filter: JWT_FILTER,
        path: [{ key: JWT_PAYLOAD_KEY }, ...path],
        value: { string_match: istioMatch(v) },
      },
    });
    return { principal: both(pvalues(c.values, f), pvalues(c.notValues, f), prinAnd, notId) };
  }
  switch (c.key) {
    case 'source.ip': {
      const f = (v: string): Principal => ({ direct_remote_ip: cidr(v) });
      return { principal: both(pvalues(c.values, f), pvalues(c.notValues, f), prinAnd, notId) };
    }
    case 'remote.ip': {
      const f = (v: string): Principal => ({ remote_ip: cidr(v) });
      return { principal: both(pvalues(c.values, f), pvalues(c.notValues, f), prinAnd, notId) };
    }
    case 'source.namespace': {
      const f = (v: string): Principal => peer(nsMatcher(v), kind);
      return { principal: both(pvalues(c.values, f), pvalues(c.notValues, f), prinAnd, notId) };
    }
    case 'source.principal': {
      const f = (v: string): Principal => peer(principalMatch(v, ''), kind);
      return { principal: both(pvalues(c.values, f), pvalues(c.notValues, f), prinAnd, notId) };
    }
    case 'request.auth.principal': {
      return {
        principal: both(pvalues(c.values, requestPrincipal), pvalues(c.notValues, requestPrincipal), prinAnd, notId),
      };
    }
    case 'destination.port': {
      const f = (v: string): Permission => ({ destination_port: checkedValue(parsePortString, v) });
      return { perm: both(values(c.values, f), values(c.notValues, f), permAnd, notRule) };
    }
    case 'destination.ip': {
      const f = (v: string): Permission => ({ destination_ip: cidr(v) });
      return { perm: both(values(c.values, f), values(c.notValues, f), permAnd, notRule) };
    }
    case 'connection.sni': {
      const f = (v: string): Permission => ({ requested_server_name: istioMatch(v) });
      return { perm: both(values(c.values, f), values(c.notValues, f), permAnd, notRule) };
    }
    default:
      // A condition we cannot evaluate never widens an ALLOW: the rule is
      // dropped. In a DENY it is ignored, which denies more.
      return deny ? {} : null;
  }
}

/** One Envoy RBAC policy per rule; null when the rule cannot match on this chain. */
export function rulePolicy(rule: AuthzRuleIR, trustDomain: string, kind: ChainKind, deny: boolean): Policy | null {
  const principals: Principal[] = [];
  const permissions: Permission[] = [];
  const from = rule.from.map((s) => sourcePrincipal(s, trustDomain, kind, deny));
  if (from.includes(null)) {
    if (from.every((x) => x === null)) return null;
  }
  const fromOk = from.filter((x): x is Principal => x !== null);
  const to = rule.to.map((o) => operationPermission(o, kind, deny));
  const toOk = to.filter((x): x is Permission => x !== null);
  if (to.length > 0 && toOk.length === 0) return null;
  const conditions = [];
  for (const w of rule.when) {
    const c = conditionPermission(w, kind, deny);
    if (c === null) return null;
    conditions.push(c);
  }
  const idAnd: Principal[] = [];
  if (fromOk.length > 0) idAnd.push(anyOf(fromOk, orIds) as Principal);
  const permAnd: Permission[] = [];
  if (toOk.length > 0) permAnd.push(anyOf(toOk, orRules) as Permission);
  for (const c of conditions) {
    if (c.principal) idAnd.push(c.principal);
    if (c.perm) permAnd.push(c.perm);
  }
  principals.push(
    idAnd.length === 0 ? { any: true } : idAnd.length === 1 ? (idAnd[0] as Principal) : { and_ids: { ids: idAnd } },
  );
  permissions.push(
    permAnd.length === 0
      ? { any: true }
      : permAnd.length === 1
        ? (permAnd[0] as Permission)
        : { and_rules: { rules: permAnd } },
  );
  return { principals, permissions };
}

/** The RBAC rules for policies of one action: keys `ns[..]-policy[..]-rule[i]`. */
export function rbacRules(
  policies: readonly AuthzPolicyIR[],
  action: 'ALLOW' | 'DENY' | 'LOG',
  trustDomain: string,
  kind: ChainKind,
  keyPrefix = '',
): RBAC {
  const out: Record<string, Policy> = {};
  for (const p of policies) {
    p.rules.forEach((rule, i) => {
      const policy = rulePolicy(rule, trustDomain, kind, action !== 'ALLOW');
      if (policy) out[keyPrefix + names.rbacPolicyKey(p.namespace, p.name, i)] = policy;
    });
  }
  return { action, policies: out };
}
