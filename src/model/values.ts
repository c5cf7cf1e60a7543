// Parsers for the scalar values inside manifests. Each returns the typed value
// or a problem worded after the rule istiod or the Gateway API CRDs enforce,
// so a user can search for it. They run once, at load; builders downstream
// only ever see values that passed.
import ipaddr from 'ipaddr.js';
import { RE2JS } from 're2js';

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/**
 * The value of a string that was checked at load. Builders call this on
 * fields the kind's schema parses; a failure means a value skipped the load
 * checks, which is a bug, so it throws rather than guess.
 */
export function checkedValue<T>(parse: (text: string) => Parsed<T>, text: string): T {
  const r = parse(text);
  if (!r.ok) throw new Error(`unchecked input reached the translator: ${r.problem}`);
  return r.value;
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(problem: string): Parsed<T> => ({ ok: false, problem });

export interface IpAddr {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  bytes: number[];
  /** Canonical text (v6 compressed; a v4-mapped v6 stays v6, as Go's netip keeps it). */
  text: string;
}

export interface Cidr extends IpAddr {
  prefixLen: number;
}

// Go's netip.ParseAddr takes only four decimal parts without leading zeros;
// ipaddr.js also takes `10.1`, `0x0a.0.0.1` and `010.0.0.1`, so v4 is checked first.
const V4 = /^(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})\.(0|[1-9]\d{0,2})$/;

function v4(text: string): IpAddr | undefined {
  const m = V4.exec(text);
  if (!m) return undefined;
  const bytes = m.slice(1, 5).map(Number);
  return bytes.every((b) => b <= 255) ? { family: 4, bytes, text } : undefined;
}

function v6(text: string): IpAddr | undefined {
  // A zone (`fe80::1%eth0`) names an interface of one host: meaningless in policy.
  if (!text.includes(':') || text.includes('%')) return undefined;
  // The embedded v4 of `::ffff:1.2.3.4` follows the same strict rule.
  const tail = /:([^:]*\.[^:]*)$/.exec(text)?.[1];
  if (tail !== undefined && !v4(tail)) return undefined;
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  const a = ipaddr.IPv6.parse(text);
  return { family: 6, bytes: a.toByteArray(), text: a.toString() };
}

/** An IP address, as `security.go: ValidateIPs` (netip.ParseAddr) accepts it. */
export function parseIp(text: string): Parsed<IpAddr> {
  const a = v4(text) ?? v6(text);
  return a ? ok(a) : bad(`bad IP address (${text})`);
}

/** The text of a 4- or 16-byte address (IPv6 in its shortest form, RFC 5952); undefined for other lengths. */
export function ipTextOf(bytes: Uint8Array): string | undefined {
  if (bytes.length !== 4 && bytes.length !== 16) return undefined;
  return ipaddr.fromByteArray([...bytes]).toString();
}

/** Whether `text` is one IP address (as parseIp reads it). */
export const isIpAddress = (text: string): boolean => v4(text) !== undefined || v6(text) !== undefined;

/** A CIDR range, as `security.go: ValidateIPs` (netip.ParsePrefix) accepts it. */
export function parseCidr(text: string): Parsed<Cidr> {
  const slash = text.indexOf('/');
  if (slash < 0) return bad(`bad CIDR range (${text}): no '/'`);
  const addr = text.slice(0, slash);
  const len = text.slice(slash + 1);
  const a = v4(addr) ?? v6(addr);
  if (!a) return bad(`bad CIDR range (${text}): bad IP address`);
  const max = a.family === 4 ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(len) || Number(len) > max)
    return bad(`bad CIDR range (${text}): bad bits after slash: "${len}"`);
  return ok({ ...a, prefixLen: Number(len) });
}

/** `ipBlocks` entries: a CIDR when it has a '/', else one address (`security.go: ValidateIPs`). */
export function parseIpOrCidr(text: string): Parsed<Cidr> {
  if (text.includes('/')) return parseCidr(text);
  const a = parseIp(text);
  return a.ok ? ok({ ...a.value, prefixLen: a.value.family === 4 ? 32 : 128 }) : a;
}

/** Whether `ip` lies in `range`: the same family and the same leading `prefixLen` bits (Go's netip.Prefix.Contains). */
export function cidrContains(range: Cidr, ip: IpAddr): boolean {
  if (range.family !== ip.family) return false;
  for (let bit = 0; bit < range.prefixLen; bit += 8) {
    const i = bit / 8;
    const keep = Math.min(8, range.prefixLen - bit);
    const mask = (0xff << (8 - keep)) & 0xff;
    if (((range.bytes[i] ?? 0) & mask) !== ((ip.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}

/** A range's address with the bits past its prefix cleared (Go's netip.Prefix.Masked). */
export function maskedBytes(range: Cidr): number[] {
  return range.bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, range.prefixLen - i * 8));
    return b & ((0xff << (8 - keep)) & 0xff);
  });
}

/** A port written as a string (AuthorizationPolicy `ports`): `security.go: ValidatePorts`. */
export function parsePortString(text: string): Parsed<number> {
  if (!/^\d{1,10}$/.test(text) || Number(text) > 65535) return bad(`bad port (${text})`);
  return ok(Number(text));
}

/** Milliseconds. */
export type Millis = number;

const GEP_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/**
 * A Gateway API Duration (GEP-2257): up to four `<1-5 digits><h|m|s|ms>` parts,
 * the CRD pattern `^([0-9]{1,5}(h|m|s|ms)){1,4}$`.
 */
export function parseGatewayDuration(text: string): Parsed<Millis> {
  if (!/^([0-9]{1,5}(h|m|s|ms)){1,4}$/.test(text))
    return bad(`invalid duration "${text}": must match ^([0-9]{1,5}(h|m|s|ms)){1,4}$ (GEP-2257, e.g. 10s, 1h30m)`);
  let total = 0;
  for (const m of text.matchAll(/(\d+)(ms|h|m|s)/g)) total += Number(m[1]) * (GEP_UNITS[m[2] ?? 's'] ?? 0);
  return ok(total);
}

const GO_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, µs: 1e-3, ns: 1e-6 };

/**
 * A Go duration as Go's time.ParseDuration reads it ("100ms", "1m30s",
 * ".5h"; "0" alone needs no unit), as istioctl's and istiod's flags take
 * them. Signs are not taken: no flag here means a negative time.
 */
export function parseGoDuration(text: string): Parsed<Millis> {
  if (text === '0') return ok(0);
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let at = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    total += Number(m[1]) * (GO_UNITS[m[2] ?? 's'] ?? 0);
    at = re.lastIndex;
  }
  return text !== '' && at === text.length ? ok(total) : bad(`"${text}" is not a duration (e.g. 100ms, 10s, 1m30s)`);
}

/**
 * An Istio duration: the protobuf JSON form (`1.5s`) or Go's form (`1h2m3s`),
 * which the CRDs' CEL `duration()` takes. `agent/validation.go: ValidateDuration`
 * then wants at least 1ms and whole milliseconds.
 */
export function parseIstioDuration(text: string): Parsed<Millis> {
  if (!/^(\d+(\.\d+)?(h|m|s|ms|us|µs|ns))+$/.test(text))
    return bad(`invalid duration "${text}": use a protobuf duration such as 1.5s, or 1h2m3s`);
  const r = parseGoDuration(text);
  if (!r.ok) return r;
  if (r.value < 1) return bad(`duration must be greater than 1ms`);
  if (!Number.isInteger(Math.round(r.value * 1e6) / 1e6)) return bad(`only durations to ms precision are supported`);
  return r;
}

/**
 * A regular expression in RE2 syntax, what Envoy's safe_regex compiles: no
 * lookaround, no backreferences. A regex Envoy cannot compile makes it reject
 * the whole RouteConfiguration or listener, so it is refused here.
 */
export function parseRe2(text: string): Parsed<string> {
  if (text.length === 0) return bad('regex must not be empty');
  try {
    RE2JS.compile(text);
    return ok(text);
  } catch (e) {
    return bad(`invalid regex: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export interface Jwk {
  kty: string;
  [field: string]: unknown;
}

/** Inline JWKS: a JSON object with a `keys` list of keys, each with `kty` (what Envoy's jwt_authn loads). */
export function parseJwks(text: string): Parsed<{ keys: Jwk[] }> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    // V8's wording changes between Node versions; the position is what helps.
    const at = e instanceof SyntaxError ? /position (\d+)/.exec(e.message)?.[1] : undefined;
    return bad(`jwks parse error: invalid JSON${at ? ` at position ${at}` : ''}`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('jwks parse error: not a JSON object');
  const keys = (v as { keys?: unknown }).keys;
  if (!Array.isArray(keys) || keys.length === 0) return bad('jwks parse error: no `keys` list');
  for (const [i, k] of keys.entries()) {
    if (k === null || typeof k !== 'object' || typeof (k as { kty?: unknown }).kty !== 'string')
      return bad(`jwks parse error: keys[${i}] has no "kty"`);
  }
  return ok({ keys: keys as Jwk[] });
}

/** A jwksUri: `security.go: ParseJwksURI` takes http and https URLs with a host. */
export function parseJwksUri(text: string): Parsed<URL> {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return bad(`invalid jwksUri "${text}"`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    return bad(`URI scheme ${u.protocol.slice(0, -1)} is not supported`);
  if (!u.hostname) return bad(`jwksUri "${text}" has no host`);
  return ok(u);
}

/** An HTTP header name: the Gateway API CRD pattern (RFC 7230 token), at most 256 characters. */
export function parseHeaderName(text: string): Parsed<string> {
  if (text.length === 0 || text.length > 256 || !/^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/.test(text))
    return bad(`invalid header name "${text}": must be an HTTP token (^[A-Za-z0-9!#$%&'*+\\-.^_\`|~]+$)`);
  return ok(text);
}

const LABEL = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';

/** A Gateway API Hostname: lower-case DNS name, optionally with a leading `*.`; no IPs. */
export function parseHostname(text: string): Parsed<string> {
  if (text.length > 253 || !new RegExp(`^(\\*\\.)?${LABEL}(\\.${LABEL})*$`).test(text))
    return bad(`invalid hostname "${text}": must be a lower-case DNS name, optionally prefixed by "*."`);
  if (v4(text)) return bad(`invalid hostname "${text}": an IP address is not a hostname`);
  return ok(text);
}

/** A backendRef weight: the CRD's 0 to 1,000,000. */
export function parseWeight(v: unknown): Parsed<number> {
  if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 1_000_000)
    return bad('weight must be an integer in [0, 1000000]');
  return ok(v as number);
}

/**
 * A serviceAccounts entry: `security.go: CheckServiceAccount` wants `sa` or
 * `ns/sa`, no wildcard, at most 320 characters.
 */
export function parseServiceAccount(text: string): Parsed<{ namespace?: string; name: string }> {
  if (text === '') return bad('empty value not allowed');
  if (text.includes('*')) return bad('wildcard not allowed');
  if (text.length > 320) return bad(`value cannot exceed 320 characters, found "${text}"`);
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === ''))
    return bad(`expected format 'serviceAccount' or 'namespace/serviceAccount', found "${text}"`);
  return ok(parts.length === 2 ? { namespace: parts[0], name: parts[1] ?? '' } : { name: text });
}

/** Principals, namespaces, hosts, methods: `security.go: CheckEmptyValues`. */
export function parseNonEmpty(text: string): Parsed<string> {
  return text === '' ? bad('empty value not allowed') : ok(text);
}

/**
 * An AuthorizationPolicy path: `security.go: CheckValidPathTemplate` — `{*}`
 * and `{**}` are whole segments, `{**}` only last, no other braces, and a path
 * with a template has only RFC 3986 pchars in its literal segments.
 */
export function parseAuthzPath(text: string): Parsed<string> {
  if (text === '') return bad('empty value not allowed');
  const templated = text.includes('{*}') || text.includes('{**}');
  let sawAny = false;
  for (const seg of text.replace(/^\/+|\/+$/g, '').split('/')) {
    if ((seg === '{*}' || seg === '{**}') && sawAny)
      return bad(`invalid or unsupported path ${text}: {**} is not the last operator`);
    if (seg === '{*}') continue;
    if (seg === '{**}') {
      sawAny = true;
      continue;
    }
    if (/[{}]/.test(seg))
      return bad(`invalid or unsupported path ${text}: contains '{' or '}' beyond a supported path template`);
    if (templated && !/^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/.test(seg))
      return bad(`invalid or unsupported path ${text}: contains segment ${seg} with invalid string literal`);
  }
  return ok(text);
}

const bracketed = (key: string) => {
  const open = key.indexOf('[');
  return key.endsWith(']') && open > 0 && open < key.length - 2;
};

/**
 * A `when` condition's key and its values: `security.go: ValidateAttribute`.
 * Returns the problem, or undefined when the key and every value are good.
 */
export function checkCondition(key: string, values: readonly string[]): string | undefined {
  if (values.some((v) => v === '')) return `empty value not allowed, found in ${key}`;
  const each = (parse: (v: string) => Parsed<unknown>) => {
    for (const v of values) {
      const r = parse(v);
      if (!r.ok) return r.problem;
    }
    return undefined;
  };
  const mapKey = () => (bracketed(key) ? undefined : `bad key (${key}): should have format a[b]`);
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims')) return mapKey();
  if (key.startsWith('experimental.envoy.filters.')) return mapKey();
  switch (key) {
    case 'source.ip':
    case 'remote.ip':
    case 'destination.ip':
      return each(parseIpOrCidr);
    case 'destination.port':
      return each(parsePortString);
    case 'source.serviceAccount':
      return each(parseServiceAccount);
    case 'source.namespace':
    case 'source.principal':
    case 'source.trustDomain':
    case 'request.auth.principal':
    case 'request.auth.audiences':
    case 'request.auth.presenter':
    case 'connection.sni':
      return undefined;
    case 'destination.namespace':
      return `attribute ${key} is replaced by the metadata.namespace`;
    case 'destination.name':
    case 'destination.user':
      return `deprecated attribute ${key}: only supported in v1alpha1`;
  }
  if (key.startsWith('destination.labels')) return `attribute ${key} is replaced by the workload selector`;
  return `unknown attribute: ${key}`;
}

// envoy.type.v3.StatusCode: the codes ext_authz's statusOnError may name.
const ENVOY_STATUS_CODES = new Set([
  100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400, 401, 402, 403,
  404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421, 422, 423, 424, 426, 428, 429, 431, 500,
  501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** ext_authz statusOnError: `agent/extensionprovider.go: validateExtensionProviderEnvoyExtAuthzStatusOnError`. */
export function parseStatusOnError(text: string): Parsed<number> {
  if (!/^-?\d{1,10}$/.test(text)) return bad(`invalid statusOnError value ${text}`);
  const code = Number(text);
  return ENVOY_STATUS_CODES.has(code) ? ok(code) : bad(`unsupported statusOnError value ${text}`);
}
