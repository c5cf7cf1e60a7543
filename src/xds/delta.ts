import type { PreparedResource } from '../envoy';
import { TypeUrl } from '../envoy';
import { deltaResponse } from './frame';
import { byName, Connection, type Frame } from './connection';
import type { DeltaRequest } from './request';
import { TypeState } from './type-state';

/**
 * Incremental ADS: we track the name -> version map the client holds and send
 * only differences; absence and deletion travel as `removed_resources`.
 */
export class DeltaConnection extends Connection {
  readonly protocol = 'delta' as const;

  handle(req: DeltaRequest): void {
    const st = this.state(req.type_url);
    const firstOfType = !st.requested;
    st.requested = true;
    const current = this.deps.cache.get(this.key, st.typeUrl);
    if (firstOfType) {
      // A reconnecting client tells us what it still holds; resources at
      // those exact versions need not be sent again.
      const claimed = req.initial_resource_versions;
      if (!st.held.claimCurrent(claimed, current))
        for (const name of claimed.names()) {
          const r = current.get(name);
          st.held.set(r?.name ?? name, r && claimed.holds(name, r.version) ? r : { version: claimed.version(name)! });
        }
    }
    const added: string[] = [];
    let wildcardAdded = false;
    for (const requested of req.resource_names_subscribe) {
      const n = TypeState.canonical(requested, current);
      if (n === '*') {
        if (st.wildcardCapable && !st.wildcard) wildcardAdded = st.wildcard = true;
      } else {
        st.names.add(n);
        added.push(n);
      }
    }
    if (firstOfType && req.resource_names_subscribe.length === 0 && st.wildcardCapable) {
      // Legacy wildcard: a first request naming nothing asks for everything.
      st.wildcard = wildcardAdded = true;
    }
    for (const n of req.resource_names_unsubscribe) {
      if (n === '*') st.wildcard = false;
      else if (st.names.delete(n) || st.held.has(n)) st.held.delete(n);
    }
    if (added.length > 0 || req.resource_names_unsubscribe.length > 0) this.internNames(st);

    if (req.response_nonce !== '') {
      const err = req.error_detail ? { code: req.error_detail.code, message: req.error_detail.message } : undefined;
      if (req.response_nonce === st.nonceSent) this.settle(st, req.response_nonce, err, '', st.namesSent);
      else this.release(req.response_nonce);
    }

    if (firstOfType) {
      const updates = st.outdated(current);
      const removed = [...st.held.keys()].filter((n) => !current.has(n));
      for (const n of st.names) if (!current.has(n) && !st.held.has(n)) removed.push(n);
      this.write(this.response(st, updates, removed, current), true);
      return;
    }
    if (added.length === 0 && !wildcardAdded) return;
    // A new subscription is answered even if the client might hold it already.
    const send = new Map<string, PreparedResource>();
    const absent: string[] = [];
    for (const n of added) {
      const r = current.get(n);
      if (r) send.set(n, r);
      else absent.push(n);
    }
    if (wildcardAdded) for (const r of st.outdated(current)) send.set(r.name, r);
    if (send.size > 0 || absent.length > 0) this.write(this.response(st, [...send.values()], absent, current), true);
  }

  private response(
    st: TypeState,
    resources: readonly PreparedResource[],
    removed: readonly string[],
    current: ReadonlyMap<string, PreparedResource>,
  ): Frame {
    const sorted = byName(resources);
    st.held.update(sorted, removed, current);
    return this.frame(st, sorted, removed, (nonce) =>
      deltaResponse({
        systemVersionInfo: '',
        typeUrl: st.typeUrl,
        nonce,
        resourceFields: sorted.flatMap((r) => r.deltaField()),
        removed: [...removed].sort(),
        controlPlane: this.deps.controlPlane,
      }),
    );
  }

  protected computePush(types: readonly string[]): Frame[] {
    const first: Frame[] = [];
    const last: Frame[] = [];
    let clustersSent: string[] = [];
    for (const t of types) {
      const st = this.states.get(t);
      if (!st?.requested) continue;
      const current = this.deps.cache.get(this.key, t);
      const send = new Map(st.outdated(current).map((r) => [r.name, r]));
      if (t === TypeUrl.Endpoint) {
        // A cluster update leaves the cluster warming until a fresh
        // assignment arrives, so re-send those even if unchanged.
        for (const n of clustersSent) {
          const r = current.get(n);
          if (r && st.wants(n)) send.set(n, r);
        }
      }
      const removed = [...st.held.keys()].filter((n) => !current.has(n));
      // Removals go after every addition, in reverse type order: routes stop
      // pointing at a cluster before the cluster disappears.
      const split = removed.length > 0 && this.laterRequested(types, t);
      if (send.size > 0 || (removed.length > 0 && !split))
        first.push(this.response(st, [...send.values()], split ? [] : removed, current));
      if (split) last.unshift(this.response(st, [], removed, current));
      if (t === TypeUrl.Cluster) clustersSent = [...send.keys()];
    }
    return [...first, ...last];
  }
}
