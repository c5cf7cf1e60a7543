import { ANNOTATION, type AuthorizationPolicy, type AuthzOperation, type AuthzSource } from '../model';
import type { AuthzOperationIR, AuthzPolicyIR, AuthzSourceIR } from './ir';

const l = (v: string[] | undefined) => v ?? [];

function source(s: AuthzSource | undefined, trustDomain: string): AuthzSourceIR {
  // serviceAccounts is shorthand for principals in the trust domain.
  const sa = (v: string) => {
    const [ns, name] = v.includes('/') ? v.split('/') : ['default', v];
    return `${trustDomain}/ns/${ns}/sa/${name}`;
  };
  return {
    principals: [...l(s?.principals), ...l(s?.serviceAccounts).map(sa)],
    notPrincipals: [...l(s?.notPrincipals), ...l(s?.notServiceAccounts).map(sa)],
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
export function authzPolicyIR(p: AuthorizationPolicy, trustDomain: string): AuthzPolicyIR {
  return {
    namespace: p.metadata.namespace ?? 'default',
    name: p.metadata.name,
    action: p.spec?.action ?? 'ALLOW',
    dryRun: p.metadata.annotations?.[ANNOTATION.dryRun] === 'true',
    provider: p.spec?.provider?.name,
    rules: (p.spec?.rules ?? []).map((r) => ({
      from: (r.from ?? []).map((f) => source(f.source, trustDomain)),
      to: (r.to ?? []).map((t) => operation(t.operation)),
      when: (r.when ?? []).map((w) => ({ key: w.key, values: l(w.values), notValues: l(w.notValues) })),
    })),
  };
}
