// Envoy's matchers, evaluated over the proto3 JSON we emit (the shape of an
// Envoy config_dump). Pure: no I/O. Each function follows the Envoy matcher
// of the same name (envoy/type/matcher/v3, envoy/config/route/v3).
import { cidrContains, parseIp } from '../model/values';
import { RE2JS } from 're2js';

/** Accessors for decoded JSON: a wrong shape reads as absent, never throws. */
export const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? (v as unknown[]) : []);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
export const num = (v: unknown): number | undefined =>
  typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined;
export const has = (o: Record<string, unknown>, k: string): boolean => Object.hasOwn(o, k) && o[k] !== undefined;

const regexCache = new Map<string, RE2JS>();
/** RE2, anchored at both ends, as Envoy's safe_regex matches. */
export function fullMatch(pattern: string, s: string): boolean {
  let re = regexCache.get(pattern);
  if (!re) {
    re = RE2JS.compile(pattern);
    regexCache.set(pattern, re);
  }
  return re.matches(s);
}

/** StringMatcher: exact, prefix, suffix, contains, safe_regex; ignore_case for all but the regex. */
export function stringMatches(m: unknown, value: string | undefined): boolean {
  if (value === undefined) return false;
  const o = obj(m);
  const ic = o.ignoreCase === true;
  const v = ic ? value.toLowerCase() : value;
  const lit = (k: string) => {
    const s = str(o[k]);
    return s === undefined ? undefined : ic ? s.toLowerCase() : s;
  };
  const exact = lit('exact');
  if (exact !== undefined) return v === exact;
  const prefix = lit('prefix');
  if (prefix !== undefined) return v.startsWith(prefix);
  const suffix = lit('suffix');
  if (suffix !== undefined) return v.endsWith(suffix);
  const contains = lit('contains');
  if (contains !== undefined) return v.includes(contains);
  const re = str(obj(o.safeRegex).regex);
  if (re !== undefined) return fullMatch(re, value);
  return false;
}

/** A StringMatcher as text, for explanations. */
export function describeString(m: unknown): string {
  const o = obj(m);
  const ic = o.ignoreCase === true ? ' (any case)' : '';
  for (const k of ['exact', 'prefix', 'suffix', 'contains'] as const)
    if (str(o[k]) !== undefined) return `${k} "${str(o[k])}"${ic}`;
  const re = str(obj(o.safeRegex).regex);
  if (re !== undefined) return `regex "${re}"`;
  return 'nothing';
}

/** Request headers by lower-case name, pseudo-headers (:method, :path, :authority) included. */
export type Headers = ReadonlyMap<string, string>;

/**
 * HeaderMatcher (route/v3): an absent header matches only `present_match: false`
 * (or, treated as empty, the empty string); invert_match flips a present header's result.
 */
export function headerMatches(h: unknown, headers: Headers): boolean {
  const o = obj(h);
  const name = (str(o.name) ?? '').toLowerCase();
  let value = headers.get(name);
  const invert = o.invertMatch === true;
  if (value === undefined) {
    if (has(o, 'presentMatch')) return (o.presentMatch === false) !== invert;
    if (o.treatMissingHeaderAsEmpty !== true) return false;
    value = '';
  }
  let result: boolean;
  if (has(o, 'stringMatch')) result = stringMatches(o.stringMatch, value);
  else if (has(o, 'exactMatch')) result = value === str(o.exactMatch);
  else if (has(o, 'prefixMatch')) result = value.startsWith(str(o.prefixMatch) ?? '');
  else if (has(o, 'suffixMatch')) result = value.endsWith(str(o.suffixMatch) ?? '');
  else if (has(o, 'containsMatch')) result = value.includes(str(o.containsMatch) ?? '');
  else if (has(o, 'safeRegexMatch')) result = fullMatch(str(obj(o.safeRegexMatch).regex) ?? '', value);
  else if (has(o, 'rangeMatch')) {
    const r = obj(o.rangeMatch);
    const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
    result = n >= (num(r.start) ?? 0) && n < (num(r.end) ?? 0);
  } else if (has(o, 'presentMatch')) result = o.presentMatch !== false;
  else result = true;
  return result !== invert;
}

export function describeHeader(h: unknown): string {
  const o = obj(h);
  const not = o.invertMatch === true ? 'not ' : '';
  const what = has(o, 'stringMatch')
    ? describeString(o.stringMatch)
    : has(o, 'exactMatch')
      ? `exact "${str(o.exactMatch)}"`
      : has(o, 'presentMatch')
        ? o.presentMatch === false
          ? 'absent'
          : 'present'
        : 'any value';
  return `header ${str(o.name)} ${not}${what}`;
}

/**
 * CidrRange: `ip` inside addressPrefix/prefixLen. Addresses are read as the
 * model reads them; an IPv4-mapped IPv6 address is IPv6 and never in an IPv4
 * range, as Envoy's CidrRange::isInRange compares address versions first.
 */
export function inCidr(ip: string | undefined, range: unknown): boolean {
  const a = ip === undefined ? undefined : parseIp(ip);
  const o = obj(range);
  const prefix = str(o.addressPrefix);
  const p = prefix === undefined ? undefined : parseIp(prefix);
  if (!a?.ok || !p?.ok) return false;
  const prefixLen = num(o.prefixLen) ?? (p.value.family === 4 ? 32 : 128);
  return cidrContains({ ...p.value, prefixLen }, a.value);
}

/** Dynamic metadata: filter name → its Struct. */
export type Metadata = ReadonlyMap<string, Record<string, unknown>>;

/** ValueMatcher (matcher/v3/value.proto) over a decoded Struct value. */
export function valueMatches(m: unknown, v: unknown): boolean {
  const o = obj(m);
  if (has(o, 'nullMatch')) return v === null;
  if (has(o, 'presentMatch')) return (v !== undefined) === (o.presentMatch === true);
  if (v === undefined) return false;
  if (has(o, 'stringMatch')) return typeof v === 'string' && stringMatches(o.stringMatch, v);
  if (has(o, 'boolMatch')) return v === o.boolMatch;
  if (has(o, 'doubleMatch')) {
    const d = obj(o.doubleMatch);
    if (typeof v !== 'number') return false;
    if (has(d, 'exact')) return v === Number(d.exact);
    const r = obj(d.range);
    return v >= Number(r.start ?? -Infinity) && v < Number(r.end ?? Infinity);
  }
  if (has(o, 'listMatch')) return Array.isArray(v) && v.some((e) => valueMatches(obj(o.listMatch).oneOf, e));
  if (has(o, 'orMatch')) return arr(obj(o.orMatch).valueMatchers).some((x) => valueMatches(x, v));
  return false;
}

/** MetadataMatcher: the value at filter/path in the dynamic metadata, possibly inverted. */
export function metadataMatches(m: unknown, md: Metadata): boolean {
  const o = obj(m);
  let v: unknown = md.get(str(o.filter) ?? '');
  for (const seg of arr(o.path)) {
    const k = str(obj(seg).key);
    v = k !== undefined && v !== null && typeof v === 'object' && !Array.isArray(v) ? obj(v)[k] : undefined;
  }
  return valueMatches(o.value, v) !== (o.invert === true);
}

/** The path without its query string, as Envoy's path matchers see it. */
export function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q < 0 ? path : path.slice(0, q);
}

/**
 * A uri_template pattern (`/a/{x}/*`, `/b/**`) as a regex: `*` and `{name}`
 * match one segment, `**` and `{name=**}` the rest.
 */
export function templateMatches(template: string, path: string): boolean {
  const parts = template.split('/').map((seg) => {
    if (seg === '**' || /^\{[^}=]*=\*\*\}$/.test(seg)) return '.*';
    if (seg === '*' || /^\{[^}=]*(=\*)?\}$/.test(seg)) return '[^/]+';
    return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('/')}$`).test(path);
}
