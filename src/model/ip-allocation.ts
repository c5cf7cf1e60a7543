import type { ServiceEntry } from './istio';
import { parseIp } from './values';

// Addresses for ServiceEntry hosts that have none, as istiod's IP allocator
// gives them (pilot/pkg/controllers/ipallocate/ipallocate.go): one IPv4
// address from 240.240.0.0/16 and one IPv6 address from 2001:2::/48 per host,
// written to `status.addresses` as {value, host}. Consumers read them back
// from the status (service-entries.ts: hostAddresses), so a restart keeps them.

/** features.IPAutoallocateIPv4Prefix / IPAutoallocateIPv6Prefix defaults. */
export const IPV4_PREFIX = { base: 0xf0f00000n, bits: 32, prefix: 16 } as const;
export const IPV6_PREFIX = { base: 0x20010002n << 96n, bits: 128, prefix: 48 } as const;
type Prefix = typeof IPV4_PREFIX | typeof IPV6_PREFIX;

export interface AllocatedAddress {
  value: string;
  host: string;
}

/** label.NetworkingEnableAutoallocateIp */
const OPT_OUT = 'networking.istio.io/enable-autoallocate-ip';

/**
 * ip_autoallocation.go: ShouldV2AutoAllocateIP — not for NONE resolution, an
 * entry labelled out, or one with addresses of its own.
 */
export function shouldAllocate(se: ServiceEntry): boolean {
  if ((se.spec?.resolution ?? 'NONE') === 'NONE') return false;
  if ((se.metadata.labels?.[OPT_OUT] ?? '').toLowerCase() === 'false') return false;
  return (se.spec?.addresses ?? []).length === 0;
}

/** ipallocate.go: keepHost — a wildcard host gets an address only with DYNAMIC_DNS; each host once. */
export function allocatedHosts(se: ServiceEntry): string[] {
  const dyn = se.spec?.resolution === 'DYNAMIC_DNS';
  return [...new Set((se.spec?.hosts ?? []).filter((h) => !h.startsWith('*') || dyn))];
}

// ---- addresses as numbers ----

/**
 * An IP address as a number and its family, or undefined when it is not one;
 * read by the model's one address parser (values.ts: parseIp, Go's netip.ParseAddr).
 */
export function ipNumber(s: string): { n: bigint; v6: boolean } | undefined {
  const r = parseIp(s);
  if (!r.ok) return undefined;
  return { n: r.value.bytes.reduce((a, b) => (a << 8n) | BigInt(b), 0n), v6: r.value.family === 6 };
}

/** Go's netip.Addr.String: dotted IPv4; IPv6 with the longest run of two or more zero groups as `::`. */
export function formatIp(n: bigint, v6: boolean): string {
  if (!v6) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 0xffn)).join('.');
  const g = [...Array(8).keys()].map((i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

const size = (p: Prefix) => 1n << BigInt(p.bits - p.prefix);
const contains = (p: Prefix, a: { n: bigint; v6: boolean }) =>
  a.v6 === (p.bits === 128) && a.n >= p.base && a.n < p.base + size(p);

/** The addresses already given out, and who holds each: an owner key per address. */
export class AddressBook {
  private readonly owners = new Map<string, string>();

  /** Marks an address as `owner`'s; false when another owner holds it (a conflict). Outside both prefixes: ignored. */
  claim(value: string, owner: string): boolean {
    const a = ipNumber(value);
    if (!a || (!contains(IPV4_PREFIX, a) && !contains(IPV6_PREFIX, a))) return true;
    const key = formatIp(a.n, a.v6);
    const held = this.owners.get(key);
    if (held !== undefined) return held === owner;
    this.owners.set(key, owner);
    return true;
  }

  isFree(value: string): boolean {
    const a = ipNumber(value);
    return !a || !this.owners.has(formatIp(a.n, a.v6));
  }
}

/**
 * ipallocate.go: prefixUse.allocateNext — the next free address after the
 * last one given, wrapping once to the start of the prefix (its network
 * address skipped); undefined when the prefix is full.
 */
export class PrefixCursor {
  private next: bigint;

  constructor(private readonly prefix: Prefix) {
    this.next = prefix.base + 1n;
  }

  allocate(book: AddressBook, owner: string): string | undefined {
    const p = this.prefix;
    const end = p.base + size(p);
    let n = this.next < end ? this.next : p.base + 1n;
    let wrapped = this.next >= end;
    for (;;) {
      const value = formatIp(n, p.bits === 128);
      if (book.isFree(value)) {
        book.claim(value, owner);
        this.next = n + 1n;
        return value;
      }
      n++;
      if (n >= end) {
        if (wrapped) return undefined;
        wrapped = true;
        n = p.base + 1n;
      }
    }
  }
}

export const ownerOf = (se: ServiceEntry): string => `${se.metadata.namespace ?? 'default'}/${se.metadata.name}`;

/** Oldest first, then namespace/name: who keeps an address two entries claim (resolveConflict). */
export function byAge(a: ServiceEntry, b: ServiceEntry): number {
  const ca = a.metadata.creationTimestamp ?? '';
  const cb = b.metadata.creationTimestamp ?? '';
  if (ca !== cb) return ca < cb ? -1 : 1;
  const oa = ownerOf(a);
  const ob = ownerOf(b);
  return oa < ob ? -1 : oa > ob ? 1 : 0;
}

/** status.addresses grouped by host, unparsable values skipped (GetHostAddressesFromServiceEntry). */
export function statusByHost(se: ServiceEntry): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const a of se.status?.addresses ?? []) {
    if (!ipNumber(a.value)) continue;
    const host = a.host ?? '';
    out.set(host, [...(out.get(host) ?? []), a.value]);
  }
  return out;
}
