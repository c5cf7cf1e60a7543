import { PreparedResource, WILDCARD_TYPES } from '../envoy';

/**
 * What we believe the client holds for one resource name: the resource as
 * sent, or only its version when that is all we know (Delta reconnect). The
 * resource itself is stored, not a wrapper around it: every stream holds one
 * of these per resource, so a wrapper object each would add up.
 */
export type Held = PreparedResource | { readonly version: string };

/** The resource behind a Held entry, if it was sent on this stream. */
export function heldResource(h: Held): PreparedResource | undefined {
  return h instanceof PreparedResource ? h : undefined;
}

export interface NackRecord {
  nonce: string;
  message: string;
  code: number;
  names: string[];
  at: Date;
}

export type SyncStatus = 'SYNCED' | 'NOT_SENT' | 'STALE' | 'ERROR';

/**
 * Protocol state of one type on one stream: the subscription, what was sent
 * and acknowledged, the last rejection. syncz and CSDS report exactly this.
 */
export class TypeState {
  wildcard = false;
  readonly names = new Set<string>();
  /** The client has named resources explicitly at least once (ends legacy wildcard). */
  everNamed = false;
  /** A stale request added names; answer them with the next current request. */
  subscriptionGrew = false;
  /** A request of this type has been seen on this stream. */
  requested = false;
  readonly held = new Map<string, Held>();
  nonceSent = '';
  nonceAcked = '';
  versionSent = '';
  versionAcked = '';
  lastSentAt?: Date;
  /** Names carried by the last response, for NACK reports. */
  namesSent: string[] = [];
  error?: NackRecord;

  constructor(readonly typeUrl: string) {}

  get wildcardCapable(): boolean {
    return WILDCARD_TYPES.has(this.typeUrl);
  }

  /** Whether `name` is in this subscription. */
  wants(name: string): boolean {
    return this.wildcard || this.names.has(name);
  }

  status(): SyncStatus {
    if (this.error) return 'ERROR';
    if (this.nonceSent === '') return 'NOT_SENT';
    return this.nonceAcked === this.nonceSent ? 'SYNCED' : 'STALE';
  }

  /**
   * `name` as a string we already keep (the cache's resource name), so that
   * names decoded from each stream's requests are not kept once per stream.
   */
  static canonical(name: string, current: ReadonlyMap<string, PreparedResource>): string {
    return current.get(name)?.name ?? name;
  }

  /** Names the client holds at a different version than `current`, among those in scope. */
  outdated(current: ReadonlyMap<string, PreparedResource>): PreparedResource[] {
    const out: PreparedResource[] = [];
    const consider = this.wildcard ? current.keys() : this.names.values();
    for (const name of consider) {
      const r = current.get(name);
      if (r && this.held.get(name)?.version !== r.version) out.push(r);
    }
    return out;
  }
}

/** Sorted, de-duplicated names: logs and comparisons stay stable. */
export function sortedNames(names: Iterable<string>): string[] {
  return [...new Set(names)].sort();
}
