import { namespaceAccess, namespaceMismatch, spiffeUri, type AccessPolicy } from '../xds';
import { waypointKeyOf } from '../translate/place-key';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from './proxy-key';

/** The service account ztunnel runs as, in the control plane's namespace. */
export const ZTUNNEL_SERVICE_ACCOUNT = 'ztunnel';

/**
 * Who may receive what, on top of the namespace rule: a waypoint's
 * configuration goes only to the service account its Deployment runs as
 * (named like the Gateway, in its namespace); the workload API, which holds
 * every workload in the mesh, only to ztunnel. Proxyless clients all share
 * one mesh-wide view (every service is visible to them, as with istiod's
 * default exportTo), so any identity of the node's namespace may have it.
 */
export function proxyAccess(systemNamespace: string): AccessPolicy {
  const base = namespaceAccess(systemNamespace);
  return {
    debugScope: base.debugScope,
    denyConfig(proxy, key, id) {
      const ns = namespaceMismatch(proxy, id);
      if (ns) return ns;
      if (key === undefined || key === PROXYLESS_KEY) return undefined;
      if (key === ZTUNNEL_KEY) {
        if (id.namespace === systemNamespace && id.serviceAccount === ZTUNNEL_SERVICE_ACCOUNT) return undefined;
        return `${spiffeUri(id)} may not read the workload API (only ${systemNamespace}/${ZTUNNEL_SERVICE_ACCOUNT})`;
      }
      // A place key (one locality's translation) is the waypoint's configuration too.
      const wp = waypointKeyOf(key);
      const slash = wp.indexOf('/');
      const wpNs = wp.slice(0, slash);
      const wpName = wp.slice(slash + 1);
      if (id.namespace === wpNs && id.serviceAccount === wpName) return undefined;
      return `${spiffeUri(id)} may not act as waypoint ${wp} (its service account is ${wpNs}/${wpName})`;
    },
  };
}
