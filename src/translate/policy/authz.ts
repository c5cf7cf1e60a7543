import { ANNOTATION, type AuthorizationPolicy, type AuthzOperation, type AuthzSource } from '../../model';
import type { AuthzOperationIR, AuthzPolicyIR, AuthzSourceIR } from '../ir';
import { authorizationAction } from '../../model/defaults';

// Only string entries count: a malformed list is the load-time check's to report.
const l = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function source(s: AuthzSource | undefined): AuthzSourceIR {
  return {
    principals: l(s?.principals),
    notPrincipals: l(s?.notPrincipals),
    serviceAccounts: l(s?.serviceAccounts),
    notServiceAccounts: l(s?.notServiceAccounts),
    trustDomains: l(s?.trustDomains),
    notTrustDomains: l(s?.notTrustDomains),
    requestPrincipals: l(s?.requestPrincipals),
    notRequestPrincipals: l(s?.notRequestPrincipals),
    namespaces: l(s?.namespaces),
    notNamespaces: l(s?.notNamespaces),
    ipBlocks: l(s?.ipBlocks),
    notIpBlocks: l(s?.notIpBlocks),
    remoteIpBlocks: l(s?.remoteIpBlocks),
    notRemoteIpBlocks: l(s?.notRemoteIpBlocks),
  };
}

function operation(o: AuthzOperation | undefined): AuthzOperationIR {
  return {
    hosts: l(o?.hosts),
    notHosts: l(o?.notHosts),
    ports: l(o?.ports),
    notPorts: l(o?.notPorts),
    methods: l(o?.methods),
    notMethods: l(o?.notMethods),
    paths: l(o?.paths),
    notPaths: l(o?.notPaths),
  };
}

/** AuthorizationPolicy → the form RBAC building consumes. */
export function authzPolicyIR(p: AuthorizationPolicy): AuthzPolicyIR {
  return {
    namespace: p.metadata.namespace,
    name: p.metadata.name,
    action: authorizationAction(p.spec),
    dryRun: p.metadata.annotations?.[ANNOTATION.dryRun] === 'true',
    provider: p.spec?.provider?.name,
    rules: (p.spec?.rules ?? []).map((r) => ({
      from: (r.from ?? []).map((f) => source(f.source)),
      to: (r.to ?? []).map((t) => operation(t.operation)),
      when: (r.when ?? []).map((w) => ({ key: w.key, values: l(w.values), notValues: l(w.notValues) })),
    })),
    ...(p.ruleIndexes ? { ruleIndexes: p.ruleIndexes } : {}),
  };
}
