// Typed readings of input fields the translator needs as values, so it never
// re-parses a string (the checks in kinds.ts already refused what these cannot read).
import { checkedValue, parseCidr, parseIp } from './values';

/**
 * A Service port's targetPort as a number or a container port name
 * (intstr.IntOrString). A quoted number (`"8080"`) is read as the number, as
 * it has always been here; the API server would refuse it as a port name.
 */
export function targetPortOf(t: number | string | undefined): { port: number } | { name: string } | undefined {
  if (t === undefined) return undefined;
  if (typeof t === 'number') return { port: t };
  return /^\d{1,5}$/.test(t) && +t >= 1 && +t <= 65535 ? { port: +t } : { name: t };
}

/** An address's bytes (4, or 16 for v6 and v4-mapped v6), or undefined for text that is not one. */
export function ipBytesOf(text: string): number[] | undefined {
  const r = parseIp(text);
  return r.ok ? r.value.bytes : undefined;
}

/**
 * A CIDR that passed the load checks (a ServiceEntry address), as the range
 * it covers: the address as written and its prefix length.
 */
export function cidrOf(text: string): { address: string; prefixLen: number } {
  const c = checkedValue(parseCidr, text);
  return { address: text.slice(0, text.indexOf('/')), prefixLen: c.prefixLen };
}

/** A load-checked address or CIDR, with a CIDR of one address (`a.b.c.d/32`) as the address itself (conversion.go: convertServices). */
export function singleAddressOf(text: string): string {
  if (!text.includes('/')) return text;
  const c = cidrOf(text);
  return c.prefixLen === (c.address.includes(':') ? 128 : 32) ? c.address : text;
}
