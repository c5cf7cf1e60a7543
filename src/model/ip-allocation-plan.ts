import type { ServiceEntry } from './istio';
import {
  AddressBook,
  allocatedHosts,
  byAge,
  formatIp,
  IPV4_PREFIX,
  IPV6_PREFIX,
  ownerOf,
  PrefixCursor,
  shouldAllocate,
  statusByHost,
  type AllocatedAddress,
} from './ip-allocation';

// Which ServiceEntries need new `status.addresses`, and what they become
// (ipallocate.go: populateControllerDatastructures, reconcileServiceEntry,
// statusPatchForAddresses, resolveConflict, clearStaleAddresses).

export interface AddressChange {
  se: ServiceEntry;
  /** The whole new `status.addresses`; empty clears stale ones. */
  addresses: AllocatedAddress[];
}

/** The next addresses for one host of `owner`: one per family, as nextAddresses gives them. */
type Next = (owner: string, host: string, book: AddressBook) => (string | undefined)[];

const sameSet = (a: readonly string[], b: readonly string[]) => {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
};

/**
 * Every entry's status compared with what it should be. Addresses entries
 * wrote themselves (`spec.addresses`) are held first: an allocated address
 * equal to one is given up. Of two entries holding the same allocated
 * address the older keeps it and the younger gets new addresses for all its
 * hosts (resolveConflict). An entry whose hosts all have addresses is left
 * alone, so addresses survive restarts; new hosts get new ones, removed hosts
 * lose theirs; an entry that no longer qualifies (resolution NONE, addresses
 * of its own, the opt-out label) has its addresses cleared.
 */
export function planAddresses(entries: readonly ServiceEntry[], next: Next): AddressChange[] {
  const sorted = [...entries].sort(byAge);
  const book = new AddressBook();
  for (const se of sorted) for (const a of se.spec?.addresses ?? []) book.claim(a, ownerOf(se));
  const forced = new Set<string>();
  for (const se of sorted) {
    if (!shouldAllocate(se)) continue;
    for (const values of statusByHost(se).values())
      for (const v of values) if (!book.claim(v, ownerOf(se))) forced.add(ownerOf(se));
  }
  const out: AddressChange[] = [];
  for (const se of sorted) {
    if (!shouldAllocate(se)) {
      if ((se.status?.addresses ?? []).length > 0) out.push({ se, addresses: [] });
      continue;
    }
    const owner = ownerOf(se);
    const hosts = allocatedHosts(se);
    const existing = statusByHost(se);
    const force = forced.has(owner);
    if (!force && sameSet(hosts, [...existing.keys()])) continue;
    const addresses: AllocatedAddress[] = [];
    for (const host of hosts) {
      const values = (!force ? existing.get(host) : undefined) ?? next(owner, host, book);
      for (const value of values) if (value !== undefined) addresses.push({ value, host });
    }
    out.push({ se, addresses });
  }
  return out;
}

/**
 * istiod's allocation: the next free address of each prefix after the last
 * one given (prefixUse.allocateNext). The cursors live as long as the
 * allocator, as istiod's do.
 */
export class SequentialAllocator {
  private readonly v4 = new PrefixCursor(IPV4_PREFIX);
  private readonly v6 = new PrefixCursor(IPV6_PREFIX);

  plan(entries: readonly ServiceEntry[]): AddressChange[] {
    return planAddresses(entries, (owner, _host, book) => [
      this.v4.allocate(book, owner),
      this.v6.allocate(book, owner),
    ]);
  }
}

/** FNV-1a, 32 bits: a fixed hash of the owner and host, the same in every process. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

const SLOTS = 0xffff;

/**
 * Without a cluster to write status to, addresses are derived from the
 * entry itself so that every run, and every replica, gives the same ones:
 * slot n in 1..65535 = FNV-1a of `<namespace>/<name>/<host>` mod 65535 + 1,
 * giving 240.240.0.0 + n and 2001:2:: + n; a slot another host holds (in
 * either family) moves to the next one, older entries choosing first.
 */
export function hashedAddresses(entries: readonly ServiceEntry[]): AddressChange[] {
  return planAddresses(entries, (owner, host, book) => {
    const start = fnv1a(`${owner}/${host}`) % SLOTS;
    for (let i = 0; i < SLOTS; i++) {
      const n = BigInt(((start + i) % SLOTS) + 1);
      const v4 = formatIp(IPV4_PREFIX.base + n, false);
      const v6 = formatIp(IPV6_PREFIX.base + n, true);
      if (!book.isFree(v4) || !book.isFree(v6)) continue;
      book.claim(v4, owner);
      book.claim(v6, owner);
      return [v4, v6];
    }
    return [];
  });
}

/** The entry with its `status.addresses` replaced. */
export function withAddresses(se: ServiceEntry, addresses: AllocatedAddress[]): ServiceEntry {
  return { ...se, status: { ...se.status, addresses } };
}
