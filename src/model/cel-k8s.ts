// The CEL environment of a CRD's `x-kubernetes-validations` rules: standard
// CEL (from @bufbuild/cel, with RE2 `matches`) plus the Kubernetes libraries
// the API server adds (k8s.io/apiserver/pkg/cel/library: strings ext, lists,
// regex, url, ip, cidr). Functions follow the Go library's results; the url
// and ip values are carried as strings, since the API server has already
// type-checked a served CRD's rules (deliberate difference: a rule that only
// type-checks here would be refused by the API server).
import { celEnv, celFunc, celMethod, CelScalar, listType, type CelEnv, type CelFunc } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { RE2JS } from 're2js';
import { parseCidr, parseIp } from './values';

const S = CelScalar.STRING;
const B = CelScalar.BOOL;
const I = CelScalar.INT;
const D = CelScalar.DYN;

/** Go's url.Parse as the `url` library uses it: an absolute URI or an absolute path. */
function parseUrl(text: string): URL | undefined {
  if (text.startsWith('/')) {
    try {
      return new URL(text, 'http://relative.invalid');
    } catch {
      return undefined;
    }
  }
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(text)) return undefined;
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}

function url(text: string): URL {
  const u = parseUrl(text);
  if (!u) throw new Error(`URL parse error during conversion from string: ${text}`);
  return u;
}

const relative = (u: URL) => u.host === 'relative.invalid';

// library.URLs (k8s.io/apiserver/pkg/cel/library/urls.go)
const urls: CelFunc[] = [
  celFunc('isURL', [S], B, (s) => parseUrl(s) !== undefined),
  celFunc('url', [S], S, (s) => (url(s), s)),
  celMethod('getScheme', S, [], S, function () {
    const u = url(this);
    return relative(u) ? '' : u.protocol.replace(/:$/, '');
  }),
  celMethod('getHost', S, [], S, function () {
    const u = url(this);
    return relative(u) ? '' : u.host;
  }),
  celMethod('getHostname', S, [], S, function () {
    const u = url(this);
    return relative(u) ? '' : u.hostname.replace(/^\[(.*)\]$/, '$1');
  }),
  celMethod('getPort', S, [], S, function () {
    const u = url(this);
    return relative(u) ? '' : u.port;
  }),
  celMethod('getEscapedPath', S, [], S, function () {
    return url(this).pathname;
  }),
];

// library.IP and library.CIDR (ip.go, cidr.go): the same parser the model uses.
const ipValue = (s: string) => {
  const r = parseIp(s);
  if (!r.ok) throw new Error(`IP Address '${s}' parse error during conversion from string: ${r.problem}`);
  return s;
};
const cidrValue = (s: string) => {
  const r = parseCidr(s);
  if (!r.ok) throw new Error(`network address parse error during conversion from string: ${r.problem}`);
  return s;
};
const ips: CelFunc[] = [
  celFunc('isIP', [S], B, (s) => parseIp(s).ok),
  celFunc('ip', [S], S, ipValue),
  celFunc('isCIDR', [S], B, (s) => parseCidr(s).ok),
  celFunc('cidr', [S], S, cidrValue),
  celMethod('family', S, [], I, function () {
    const r = parseIp(this);
    if (r.ok) return BigInt(r.value.family);
    const c = parseCidr(this);
    if (c.ok) return BigInt(c.value.family);
    throw new Error(`not an IP address or CIDR: ${this}`);
  }),
  celMethod('prefixLength', S, [], I, function () {
    const c = parseCidr(this);
    if (!c.ok) throw new Error(`not a CIDR: ${this}`);
    return BigInt(c.value.prefixLen);
  }),
];

// library.Lists (lists.go): the members the CRDs we read could use.
const cmp = (a: unknown, b: unknown) => (a === b ? 0 : (a as number) < (b as number) ? -1 : 1);
const lists: CelFunc[] = [
  celMethod('isSorted', listType(D), [], B, function () {
    const xs = [...this];
    return xs.every((x, i) => i === 0 || cmp(xs[i - 1], x) <= 0);
  }),
];

// library.Regex (regex.go): `find` gives the first match or ''.
const regex: CelFunc[] = [
  celMethod('find', S, [S], S, function (re) {
    const m = RE2JS.compile(re).matcher(this);
    return m.find() ? (m.group() ?? '') : '';
  }),
];

let env: CelEnv | undefined;

/** One shared environment: `self` is the value at the rule's schema node. */
export function k8sCelEnv(): CelEnv {
  env ??= celEnv({ variables: { self: D }, funcs: [...strings, ...urls, ...ips, ...lists, ...regex] });
  return env;
}
