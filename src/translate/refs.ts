import type { DestinationRule, KubeObject, ServiceEntry } from '../model';
import { isCoreServiceRef } from '../model/refs';
import { targetRefsOf } from './policy/targeting';
import { parentKey, type AnyRoute } from './route/route-attach';

const REF_KINDS: ReadonlySet<string> = new Set([
  'HTTPRoute',
  'GRPCRoute',
  'TCPRoute',
  'TLSRoute',
  'AuthorizationPolicy',
  'DestinationRule',
]);

export const isRefKind = (kind: string) => REF_KINDS.has(kind);

/**
 * What an object of a kind found by reference names: a route's parents
 * (route-attach.ts: parentKey), an AuthorizationPolicy's target Services
 * (`ns/name`), a DestinationRule's host (ruleHostRef). A reader that looks such objects up by the referenced key can
 * record that key alone (Reads.referencing), and a change to one of them
 * reaches only the readers of what it named before or names now
 * (readKeysOfAll). Undefined for the kinds not found this way.
 */
export function refsOf(o: KubeObject): string[] | undefined {
  const ns = o.metadata.namespace ?? '';
  switch (o.kind) {
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TCPRoute':
    case 'TLSRoute':
      return ((o as AnyRoute).spec?.parentRefs ?? [])
        .map((r) => parentKey(r, ns))
        .filter((k): k is string => k !== undefined);
    case 'AuthorizationPolicy':
      return policyRefs(o);
    case 'DestinationRule':
      return [ruleHostRef((o as DestinationRule).spec?.host ?? '')];
    default:
      return undefined;
  }
}

/**
 * What an object of a kind looked up from every namespace at once names: a
 * ServiceEntry's hosts, each as written (service-entry-hosts.ts:
 * entriesDeclaring matches a host exactly, a wildcard host only by the same
 * string). A reader that looks such objects up by that key records it alone
 * (Reads.referencingAnywhere), and a change to one reaches only the readers
 * of a host it declared before or declares now (readKeysOfAll). Undefined for
 * the other kinds.
 */
export function meshRefsOf(o: KubeObject): string[] | undefined {
  return o.kind === 'ServiceEntry' ? [...new Set((o as ServiceEntry).spec?.hosts ?? [])] : undefined;
}

export const isMeshRefKind = (kind: string) => kind === 'ServiceEntry';

/**
 * A policy's reference for anything but its plain Service targets (none, a
 * Gateway, a GatewayClass, a ServiceEntry, a Service written with another
 * group): a waypoint's chains it may reach are all its Services'.
 */
export const NOT_SERVICE_TARGETED = '~';

/** An AuthorizationPolicy's target Services, and NOT_SERVICE_TARGETED when it has other targets or none. */
function policyRefs(o: KubeObject): string[] {
  const services = serviceTargetsOf(o);
  const all = targetRefsOf((o as { spec?: Parameters<typeof targetRefsOf>[0] }).spec).length;
  return services.length === all && all > 0 ? services : [...services, NOT_SERVICE_TARGETED];
}

/** The Services (`ns/name`) a policy's targetRefs name; policies target their own namespace only. */
export function serviceTargetsOf(o: KubeObject): string[] {
  const ns = o.metadata.namespace ?? '';
  return targetRefsOf((o as { spec?: Parameters<typeof targetRefsOf>[0] }).spec)
    .filter((t) => isCoreServiceRef(t.group ?? '', t.kind))
    .map((t) => `${ns}/${t.name}`);
}

/**
 * A DestinationRule's host as a reference, in one form whatever the cluster
 * domain (which refsOf does not know): a name with a dot is matched exactly
 * and is itself; a name without one is a Service of the rule's own namespace
 * (proxyless-tls.ts: hostMatches, after model/config.go:
 * ResolveShortnameToFQDN), `short:<name>`; any wildcard is `*`, which every
 * reader by reference of the rule's namespace records.
 */
export function ruleHostRef(host: string): string {
  if (host.includes('*')) return '*';
  return host.includes('.') ? host : `short:${host}`;
}

/**
 * The references under which a rule in `namespace` could match the service
 * host `fqdn`: the name itself, and its short name when the host is a
 * Service of that namespace. A wildcard rule is reached through `*`.
 */
export function hostRefs(fqdn: string, namespace: string, domain: string): string[] {
  const suffix = `.${namespace}.svc.${domain}`;
  const short = fqdn.endsWith(suffix) ? fqdn.slice(0, -suffix.length) : undefined;
  return short && !short.includes('.') ? [fqdn, ruleHostRef(short)] : [fqdn];
}
