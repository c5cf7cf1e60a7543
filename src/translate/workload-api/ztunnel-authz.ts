import type { TypeMap } from '../../envoy';
import type { AuthorizationPolicy, AuthzOperation, AuthzRule, AuthzSource } from '../../model';
import { targetRefsOf } from '../policy/targeting';
import { ownBytes } from './ip-bytes';
import { port } from '../policy/rbac-matchers';
import { parseIpOrCidr } from '../../model/values';
import { authorizationAction } from '../../model/defaults';

type AuthorizationMsg = TypeMap['istio.security.Authorization'];
type Match = TypeMap['istio.security.Match'];
type StringMatch = TypeMap['istio.security.StringMatch'];

// authorization.go: httpSources — remote IPs come from HTTP headers, so they are L7 to ztunnel.
const L7_SOURCE: (keyof AuthzSource)[] = [
  'remoteIpBlocks',
  'notRemoteIpBlocks',
  'requestPrincipals',
  'notRequestPrincipals',
];
/** authorization.go: l4WhenAttributes. */
const L4_WHEN = new Set(['source.ip', 'source.namespace', 'source.principal', 'destination.ip', 'destination.port']);
const L7_OPERATION: (keyof AuthzOperation)[] = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];

function sm(v: string): StringMatch {
  if (v === '*') return { presence: {} };
  if (v.startsWith('*')) return { suffix: v.slice(1) };
  if (v.endsWith('*')) return { prefix: v.slice(0, -1) };
  return { exact: v };
}

/** authorization.go: stringToIP — an unparsable address is skipped. */
function cidrs(vs: string[] | undefined): { address: Buffer; length: number }[] {
  const out: { address: Buffer; length: number }[] = [];
  for (const v of vs ?? []) {
    const c = parseIpOrCidr(v);
    if (c.ok) out.push({ address: ownBytes(c.value.bytes), length: c.value.prefixLen });
  }
  return out;
}

/** authorization.go: stringToPort — an unparsable port is skipped. */
const ports = (vs: string[] | undefined): number[] =>
  (vs ?? []).map(port).filter((p): p is number => typeof p === 'number');

/** authorization.go: stringToServiceAccountMatch — a bare name is in the policy's namespace. */
function serviceAccounts(vs: string[] | undefined, ns: string): { namespace: string; serviceAccount: string }[] {
  return (vs ?? []).map((v) => {
    const slash = v.indexOf('/');
    return slash < 0
      ? { namespace: ns, serviceAccount: v }
      : { namespace: v.slice(0, slash), serviceAccount: v.slice(slash + 1) };
  });
}

/** authorization.go: handleRule's l7RuleFound — fields ztunnel cannot see. */
export function ruleUsesL7(rule: AuthzRule): boolean {
  return (
    (rule.from ?? []).some((f) => L7_SOURCE.some((k) => (f.source?.[k]?.length ?? 0) > 0)) ||
    (rule.to ?? []).some((t) => L7_OPERATION.some((k) => (t.operation?.[k]?.length ?? 0) > 0)) ||
    (rule.when ?? []).some((w) => !L4_WHEN.has(w.key))
  );
}

/**
 * An AuthorizationPolicy ztunnel enforces: selector-based, namespace-wide or
 * root-namespace (mesh-wide), ALLOW or DENY. Policies with targetRefs belong
 * to waypoints and are not sent. ztunnel sees no HTTP: a rule using HTTP
 * fields is dropped from an ALLOW (narrower) and keeps its L4 part in a DENY
 * (wider), so nothing fails open.
 */
export function authorizationMsg(p: AuthorizationPolicy, rootNamespace: string): AuthorizationMsg | undefined {
  if (targetRefsOf(p.spec).length > 0) return undefined;
  const action = authorizationAction(p.spec);
  if (action !== 'ALLOW' && action !== 'DENY') return undefined;
  const ns = p.metadata.namespace;
  const scope = p.spec?.selector ? 'WORKLOAD_SELECTOR' : ns === rootNamespace ? 'GLOBAL' : 'NAMESPACE';
  const groups: NonNullable<AuthorizationMsg['groups']> = [];
  for (const rule of p.spec?.rules ?? []) {
    if (action === 'ALLOW' && ruleUsesL7(rule)) continue;
    // authorization.go: handleRule — `to` clause, then `from` clause, then one per condition.
    const rules: NonNullable<NonNullable<AuthorizationMsg['groups']>[number]['rules']> = [];
    // A `to` with only HTTP fields is empty at L4. istiod sends it and ztunnel
    // never matches it, so a DENY would never fire: we leave it out of a DENY,
    // which then denies more, never less. (An ALLOW with HTTP fields is gone already.)
    const to: Match[] = (rule.to ?? [])
      .map((t) => ({
        destination_ports: ports(t.operation?.ports),
        not_destination_ports: ports(t.operation?.notPorts),
      }))
      .filter((m) => action === 'ALLOW' || m.destination_ports.length + m.not_destination_ports.length > 0);
    if (to.length > 0) rules.push({ matches: to });
    const from: Match[] = (rule.from ?? []).map((f) => {
      const s = f.source ?? {};
      return {
        source_ips: cidrs(s.ipBlocks),
        not_source_ips: cidrs(s.notIpBlocks),
        namespaces: (s.namespaces ?? []).map(sm),
        not_namespaces: (s.notNamespaces ?? []).map(sm),
        service_accounts: serviceAccounts(s.serviceAccounts, ns),
        not_service_accounts: serviceAccounts(s.notServiceAccounts, ns),
        principals: (s.principals ?? []).map(sm),
        not_principals: (s.notPrincipals ?? []).map(sm),
      };
    });
    if (from.length > 0) rules.push({ matches: from });
    for (const w of rule.when ?? []) {
      const m: Match = {};
      if (w.key === 'source.ip') Object.assign(m, { source_ips: cidrs(w.values), not_source_ips: cidrs(w.notValues) });
      else if (w.key === 'source.namespace')
        Object.assign(m, { namespaces: (w.values ?? []).map(sm), not_namespaces: (w.notValues ?? []).map(sm) });
      else if (w.key === 'source.principal')
        Object.assign(m, { principals: (w.values ?? []).map(sm), not_principals: (w.notValues ?? []).map(sm) });
      else if (w.key === 'destination.port')
        Object.assign(m, {
          destination_ports: ports(w.values),
          not_destination_ports: ports(w.notValues),
        });
      else if (w.key === 'destination.ip')
        Object.assign(m, {
          destination_ips: cidrs(w.values),
          not_destination_ips: cidrs(w.notValues),
        });
      // Any other key is L7: the rule is gone from an ALLOW (above). In a DENY
      // istiod sends an empty match, which ztunnel never matches, so the DENY
      // never fires; we drop the condition instead, so it denies more, not less.
      else continue;
      rules.push({ matches: [m] });
    }
    groups.push({ rules });
  }
  return {
    name: p.metadata.name,
    namespace: ns,
    scope,
    action,
    groups,
    dry_run: p.metadata.annotations?.['istio.io/dry-run'] === 'true',
  };
}
