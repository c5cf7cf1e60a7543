import { spiffeUri, type Identity } from './auth';
import type { ProxyInfo } from './node';

/** Which proxies' sync status a caller may read. */
export type DebugScope = { all: true } | { namespace: string };

/**
 * What an authenticated stream may receive. Streams on a port that does not
 * authenticate (the plaintext port, for local use) are not asked.
 */
export interface AccessPolicy {
  /**
   * Why `id` may not receive the configuration of `proxy` (which maps to
   * `key`), or undefined when it may.
   */
  denyConfig(proxy: ProxyInfo, key: string | undefined, id: Identity): string | undefined;
  /** Whose status `id` may see through syncz and CSDS. */
  debugScope(id: Identity): DebugScope;
}

/**
 * The rule every proxy is held to: its node id names the namespace its
 * identity is in. Callers in the control plane's namespace may read every
 * proxy's status, others only their own namespace's.
 */
export function namespaceAccess(systemNamespace?: string): AccessPolicy {
  return {
    denyConfig: (proxy, _key, id) => namespaceMismatch(proxy, id),
    debugScope: (id) => (id.namespace === systemNamespace ? { all: true } : { namespace: id.namespace }),
  };
}

export function namespaceMismatch(proxy: ProxyInfo, id: Identity): string | undefined {
  if (proxy.namespace === id.namespace) return undefined;
  return `node ${proxy.nodeId} claims namespace ${proxy.namespace || '(none)'} but the stream authenticated as ${spiffeUri(id)}`;
}

export function inScope(scope: DebugScope, proxy: ProxyInfo | undefined): boolean {
  return 'all' in scope || proxy?.namespace === scope.namespace;
}
