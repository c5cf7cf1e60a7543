import type { TypeMap } from '../envoy';
import { checkedValue, parseIpOrCidr } from '../model/values';
import type { AuthorizationPolicy, AuthzOperation, AuthzSource } from '../model';
import type { TranslateOptions } from './context';
import { targetRefsOf } from './targeting';
import { ipBytes } from './ip-bytes';

type AuthorizationMsg = TypeMap['istio.security.Authorization'];
type Match = TypeMap['istio.security.Match'];
type StringMatch = TypeMap['istio.security.StringMatch'];

const L7_SOURCE: (keyof AuthzSource)[] = ['requestPrincipals', 'notRequestPrincipals'];
const L7_OPERATION: (keyof AuthzOperation)[] = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'];

function sm(v: string): StringMatch {
  if (v === '*') return { presence: {} };
  if (v.startsWith('*')) return { suffix: v.slice(1) };
  if (v.endsWith('*')) return { prefix: v.slice(0, -1) };
  return { exact: v };
}

function cidr(v: string): { address: Buffer; length: number } {
  const { prefixLen } = checkedValue(parseIpOrCidr, v);
  return { address: ipBytes(v.split('/')[0] ?? ''), length: prefixLen };
}

/**
 * An AuthorizationPolicy ztunnel enforces: selector-based, namespace-wide or
 * root-namespace (mesh-wide), ALLOW or DENY. Policies with targetRefs belong
 * to waypoints and are not sent. ztunnel sees no HTTP: a rule using HTTP
 * fields is dropped from an ALLOW (narrower) and keeps its L4 part in a DENY
 * (wider), so nothing fails open.
 */
export function authorizationMsg(p: AuthorizationPolicy, opts: TranslateOptions): AuthorizationMsg | undefined {
  if (targetRefsOf(p.spec).length > 0) return undefined;
  const action = p.spec?.action ?? 'ALLOW';
  if (action !== 'ALLOW' && action !== 'DENY') return undefined;
  const ns = p.metadata.namespace ?? 'default';
  const scope = p.spec?.selector ? 'WORKLOAD_SELECTOR' : ns === opts.rootNamespace ? 'GLOBAL' : 'NAMESPACE';
  const groups: NonNullable<AuthorizationMsg['groups']> = [];
  for (const rule of p.spec?.rules ?? []) {
    const usesL7 =
      (rule.from ?? []).some((f) => L7_SOURCE.some((k) => (f.source?.[k]?.length ?? 0) > 0)) ||
      (rule.to ?? []).some((t) => L7_OPERATION.some((k) => (t.operation?.[k]?.length ?? 0) > 0)) ||
      (rule.when ?? []).some((w) => w.key.startsWith('request.'));
    if (usesL7 && action === 'ALLOW') continue;
    const rules: NonNullable<NonNullable<AuthorizationMsg['groups']>[number]['rules']> = [];
    const from: Match[] = (rule.from ?? []).map((f) => {
      const s = f.source ?? {};
      return {
        principals: (s.principals ?? []).map(sm),
        not_principals: (s.notPrincipals ?? []).map(sm),
        namespaces: (s.namespaces ?? []).map(sm),
        not_namespaces: (s.notNamespaces ?? []).map(sm),
        source_ips: [...(s.ipBlocks ?? []), ...(s.remoteIpBlocks ?? [])].map(cidr),
        not_source_ips: [...(s.notIpBlocks ?? []), ...(s.notRemoteIpBlocks ?? [])].map(cidr),
      };
    });
    if (from.length > 0) rules.push({ matches: from });
    const to: Match[] = (rule.to ?? [])
      .map((t) => ({
        destination_ports: (t.operation?.ports ?? []).map(Number),
        not_destination_ports: (t.operation?.notPorts ?? []).map(Number),
      }))
      .filter((m) => m.destination_ports.length + m.not_destination_ports.length > 0);
    if (to.length > 0) rules.push({ matches: to });
    for (const w of rule.when ?? []) {
      const m: Match = {};
      if (w.key === 'source.ip' || w.key === 'remote.ip')
        Object.assign(m, { source_ips: (w.values ?? []).map(cidr), not_source_ips: (w.notValues ?? []).map(cidr) });
      else if (w.key === 'source.namespace')
        Object.assign(m, { namespaces: (w.values ?? []).map(sm), not_namespaces: (w.notValues ?? []).map(sm) });
      else if (w.key === 'source.principal')
        Object.assign(m, { principals: (w.values ?? []).map(sm), not_principals: (w.notValues ?? []).map(sm) });
      else if (w.key === 'destination.port')
        Object.assign(m, {
          destination_ports: (w.values ?? []).map(Number),
          not_destination_ports: (w.notValues ?? []).map(Number),
        });
      else if (w.key === 'destination.ip')
        Object.assign(m, {
          destination_ips: (w.values ?? []).map(cidr),
          not_destination_ips: (w.notValues ?? []).map(cidr),
        });
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
