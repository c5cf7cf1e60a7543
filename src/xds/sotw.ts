import { createHash } from 'node:crypto';
import type { OutputTypeMap, PreparedResource } from '../envoy';
import { shortType, TypeUrl, WILDCARD_TYPES } from '../envoy';
import { sotwResponse } from './frame';
import { byName, Connection, type Frame } from './connection';
import { type Held, heldResource, sortedNames, TypeState } from './type-state';

export type DiscoveryRequest = OutputTypeMap['envoy.service.discovery.v3.DiscoveryRequest'];

/** Types whose every SotW response carries the complete set (a missing name is a deletion). */
const FULL_STATE = WILDCARD_TYPES;

/** State-of-the-world ADS: each response of a full-state type is the whole set. */
export class SotwConnection extends Connection {
  readonly protocol = 'sotw' as const;

  handle(req: DiscoveryRequest): void {
    const st = this.state(req.type_url);
    const nonce = req.response_nonce;
    if (nonce !== '' && nonce !== st.nonceSent) {
      // Stale: an answer to an older response. Keep its subscription so the
      // change is honoured once the current response is settled.
      this.deps.metrics.staleNonces.inc({ type: shortType(st.typeUrl).toLowerCase() });
      if (this.subscribe(st, req.resource_names)) st.subscriptionGrew = true;
      this.release(nonce);
      return;
    }
    const first = nonce === '' || !st.requested;
    const grew = this.subscribe(st, req.resource_names, !st.requested) || st.subscriptionGrew;
    st.subscriptionGrew = false;
    st.requested = true;
    if (!first) {
      const err = req.error_detail ? { code: req.error_detail.code, message: req.error_detail.message } : undefined;
      this.settle(st, nonce, err, req.version_info, st.namesSent);
    }
    const current = this.deps.cache.get(this.key, st.typeUrl);
    if (first) {
      // Always answer the first request of a type, even when the client
      // claims the current version: it may be waiting for this to warm up.
      this.write(this.response(st, this.wantedNow(st, current), true), true);
      return;
    }
    // An ACK or NACK is answered only when it asked for something new, and
    // then only with what the client does not hold yet.
    if (!grew) return;
    if (FULL_STATE.has(st.typeUrl)) {
      if (this.fullStateChanged(st, current)) this.write(this.response(st, this.wantedNow(st, current), true), true);
    } else {
      const missing = st.outdated(current);
      if (missing.length > 0) this.write(this.response(st, missing, false), true);
    }
  }

  /** Applies the request's names; true when the subscription gained something. */
  private subscribe(st: TypeState, names: string[], firstOfType = false): boolean {
    const wasWildcard = st.wildcard;
    const before = new Set(st.names);
    const explicit = names.filter((n) => n !== '*');
    st.wildcard =
      st.wildcardCapable &&
      (names.includes('*') || (names.length === 0 && !st.everNamed && (firstOfType || st.wildcard)));
    if (explicit.length > 0) st.everNamed = true;
    st.names.clear();
    const current = this.deps.cache.get(this.key, st.typeUrl);
    for (const n of explicit) st.names.add(TypeState.canonical(n, current));
    this.internNames(st);
    // Forget what the client dropped, so a later re-subscribe is answered.
    if (!st.wildcard) for (const n of [...st.held.keys()]) if (!st.names.has(n)) st.held.delete(n);
    if (st.wildcard && !wasWildcard) return true;
    for (const n of st.names) if (!before.has(n) && !wasWildcard) return true;
    return false;
  }

  /** Everything in the subscription that exists now. */
  private wantedNow(st: TypeState, current: ReadonlyMap<string, PreparedResource>): PreparedResource[] {
    if (st.wildcard) return [...current.values()];
    const out: PreparedResource[] = [];
    for (const n of st.names) {
      const r = current.get(n);
      if (r) out.push(r);
    }
    return out;
  }

  private fullStateChanged(st: TypeState, current: ReadonlyMap<string, PreparedResource>): boolean {
    const want = this.wantedNow(st, current);
    if (want.length !== st.held.size) return true;
    return want.some((r) => st.held.get(r.name)?.version !== r.version);
  }

  /** Builds a response and records what the client will hold. */
  private response(st: TypeState, resources: readonly PreparedResource[], replaceHeld: boolean): Frame {
    const sorted = byName(resources);
    if (replaceHeld && FULL_STATE.has(st.typeUrl)) st.held.clear();
    for (const r of sorted) st.held.set(r.name, r);
    const versionInfo = versionOf(st.held);
    st.versionSent = versionInfo;
    return this.frame(st, sorted, [], (nonce) =>
      sotwResponse({
        versionInfo,
        typeUrl: st.typeUrl,
        nonce,
        resourceFields: sorted.flatMap((r) => r.sotwField()),
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
      if (FULL_STATE.has(t)) {
        if (!this.fullStateChanged(st, current)) continue;
        const want = this.wantedNow(st, current);
        const keep: PreparedResource[] = [];
        for (const [n, h] of st.held) {
          const r = heldResource(h);
          if (r && (!current.has(n) || !st.wants(n))) keep.push(r);
        }
        const changed = want.filter((r) => st.held.get(r.name)?.version !== r.version);
        if (keep.length > 0 && changed.length > 0 && this.laterRequested(types, t)) {
          // Make before break: first add and update while still listing what is
          // going away; the set without it follows after every other type.
          first.push(this.response(st, [...want, ...keep], true));
          last.unshift(this.response(st, want, true));
        } else if (keep.length > 0 && this.laterRequested(types, t)) {
          last.unshift(this.response(st, want, true));
        } else {
          first.push(this.response(st, want, true));
        }
        if (t === TypeUrl.Cluster) clustersSent = changed.map((r) => r.name);
      } else {
        const send = new Map(st.outdated(current).map((r) => [r.name, r]));
        if (t === TypeUrl.Endpoint) {
          for (const n of clustersSent) {
            const r = current.get(n);
            if (r && st.wants(n)) send.set(n, r);
          }
        }
        for (const n of [...st.held.keys()]) if (!current.has(n)) st.held.delete(n);
        if (send.size > 0) first.push(this.response(st, [...send.values()], false));
      }
    }
    return [...first, ...last];
  }
}

/** A version for the set the client holds: a hash of its names and versions. */
function versionOf(held: ReadonlyMap<string, Held>): string {
  const h = createHash('sha256');
  for (const n of sortedNames(held.keys()))
    h.update(n)
      .update('\0')
      .update(held.get(n)?.version ?? '')
      .update('\0');
  return h.digest('base64url').slice(0, 16);
}
