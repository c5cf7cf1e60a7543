import { inScope, type DebugScope } from './access';
import type { Connection } from './connection';
import { proxiesOf } from './syncz';

function addTo<K>(map: Map<K, Set<Connection>>, k: K, c: Connection): void {
  let set = map.get(k);
  if (!set) map.set(k, (set = new Set()));
  set.add(c);
}

function removeFrom<K>(map: Map<K, Set<Connection>>, k: K, c: Connection): void {
  const set = map.get(k);
  if (!set) return;
  set.delete(c);
  if (set.size === 0) map.delete(k);
}

/**
 * The server's connected streams, found by id, by the configuration key they
 * receive (pushes) and by their proxy's namespace (a caller scoped to one
 * namespace is never shown, or matched against, the rest).
 */
export class ConnectionIndex {
  readonly all = new Map<string, Connection>();
  private readonly byKey = new Map<string, Set<Connection>>();
  private readonly byNamespace = new Map<string, Set<Connection>>();

  add(c: Connection): void {
    this.all.set(c.id, c);
  }

  remove(c: Connection): void {
    this.setKey(c, undefined);
    if (c.proxy?.namespace !== undefined) removeFrom(this.byNamespace, c.proxy.namespace, c);
    this.all.delete(c.id);
  }

  /** Called once the proxy's node is known. */
  identified(c: Connection, key: string | undefined): void {
    this.setKey(c, key);
    if (c.proxy?.namespace !== undefined) addTo(this.byNamespace, c.proxy.namespace, c);
  }

  setKey(c: Connection, key: string | undefined): void {
    if (c.key !== undefined) removeFrom(this.byKey, c.key, c);
    c.key = key;
    if (key !== undefined) addTo(this.byKey, key, c);
  }

  withKey(key: string): Iterable<Connection> {
    return this.byKey.get(key) ?? [];
  }

  /** The proxies a caller with `scope` may see, found without looking at any other. */
  visible(scope: DebugScope): Connection[] {
    const pool = 'all' in scope ? this.all.values() : (this.byNamespace.get(scope.namespace) ?? []);
    return proxiesOf(pool).filter((c) => inScope(scope, c.proxy));
  }
}
