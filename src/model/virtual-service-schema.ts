// VirtualService: the shape a waypoint reads and the rules istiod's webhook
// enforces on it (validation.go: ValidateVirtualService, validateHTTPRoute,
// validateHTTPRouteDestinations, validateHTTPRedirect, validateHTTPRewrite,
// validateHTTPFaultInjection, validateCORSPolicy), worded as istiod words them
// where it has words. A value Envoy would reject (a bad regex, a redirect code
// it has no enum for) is refused here, so the object is refused as a whole.
import { all, bool, int, list, obj, oneOf, parsed, port, rule, str, strList, strMap, type Check } from './checks';
import { parseHeaderName, parseIstioDuration, parseRe2 } from './values';

const duration = parsed(parseIstioDuration);
const regex = parsed(parseRe2);

/** gRPC status names istiod accepts for an abort (pkg/util/grpc/codes.go: SupportedGRPCStatus). */
export const GRPC_STATUS: Readonly<Record<string, number>> = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
};

/** Redirect codes Envoy's RedirectAction can answer with (route.go: ApplyRedirect). */
export const REDIRECT_CODES = [301, 302, 303, 307, 308];

/** validation.go: validateStringMatchRegexp — a regex match must compile (RE2) and not be empty. */
const stringMatch: Check = all(
  obj({ exact: str, prefix: str, regex: (v, p, errs) => (v === '*' ? undefined : regex(v, p, errs)) }),
  rule((o) => {
    const set = ['exact', 'prefix', 'regex'].filter((k) => o[k] !== undefined);
    return set.length > 1 ? [['', 'only one of exact, prefix or regex may be set']] : [];
  }),
);

const stringMatchMap: Check = (v, p, errs) => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return void errs.push(`${p}: must be a map`);
  for (const [k, x] of Object.entries(v)) {
    if (!k.startsWith(':') && !k.startsWith('@') && !parseHeaderName(k).ok)
      errs.push(`${p}.${k}: header name ${k} is not a valid header name`);
    // Matching on JWT claims needs dynamic metadata matchers we do not build.
    if (k.startsWith('@request.auth.claims'))
      errs.push(`${p}.${k}: matching on JWT claims is not supported by istiod-lite`);
    stringMatch(x, `${p}.${k}`, errs);
  }
};

/** validation.go: validatePercentage. */
const percent: Check = obj({
  value: (v, p, errs) => {
    if (typeof v !== 'number' || v < 0 || v > 100 || (v > 0 && v < 0.0001))
      errs.push(`${p}: percentage ${String(v)} is neither 0.0, nor in range [0.0001, 100.0]`);
  },
});

/** validation.go: validateDestination — a host other than `*`, a DNS-1123 subset, a port. */
const destination: Check = all(
  obj({ host: str, subset: str, port: obj({ number: port }) }, ['host']),
  rule((o) => {
    const out: [string, string][] = [];
    if (o.host === '*' || o.host === '') out.push(['host', `invalid destination host ${String(o.host)}`]);
    const s = o.subset;
    if (typeof s === 'string' && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s))
      out.push(['subset', `subset name is invalid: ${s}`]);
    return out;
  }),
);

const pseudo = (k: string) => k.startsWith(':') || k.toLowerCase() === 'host';
const authority = (k: string) => k.toLowerCase() === ':authority' || k.toLowerCase() === 'host';

/**
 * validation.go: ValidateHTTPHeaderWithAuthorityOperationName (request set/add:
 * `:authority` and Host allowed, they rewrite the host) and
 * ValidateHTTPHeaderOperationName (everything else); values without control
 * characters (ValidateHTTPHeaderValue).
 */
function headerName(k: string, withAuthority: boolean): string | undefined {
  if (k === '') return 'header name cannot be empty';
  if (withAuthority ? pseudo(k) && !authority(k) : pseudo(k))
    return k.toLowerCase() === 'host'
      ? `invalid header "${k}": cannot set Host header`
      : `invalid header "${k}": header cannot have ":" prefix`;
  return undefined;
}

const CONTROL = /[\u0000-\u0008\u000A-\u001F\u007F]/;

function headerMap(withAuthority: boolean): Check {
  return (v, p, errs) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      return void errs.push(`${p}: must be a map of strings`);
    for (const [k, x] of Object.entries(v)) {
      const bad = headerName(k, withAuthority);
      if (bad) errs.push(`${p}.${k}: ${bad}`);
      if (typeof x !== 'string') errs.push(`${p}.${k}: must be a string`);
      else if (CONTROL.test(x)) errs.push(`${p}.${k}: header value has control characters`);
    }
  };
}

const removeList: Check = list((v, p, errs) => {
  if (typeof v !== 'string') return void errs.push(`${p}: must be a string`);
  const bad = headerName(v, false);
  if (bad) errs.push(`${p}: ${bad}`);
});

const headers = obj({
  request: obj({ set: headerMap(true), add: headerMap(true), remove: removeList }),
  response: obj({ set: headerMap(false), add: headerMap(false), remove: removeList }),
});

/** validation.go: validateHTTPRouteDestinations / validateRouteDestinations. */
function destinations(extra: Record<string, Check>): Check {
  return all(list(obj({ destination, weight: int(0, 2147483647), ...extra }, ['destination'])), (v, p, errs) => {
    if (!Array.isArray(v) || v.length < 2) return;
    const total = v.reduce(
      (n: number, d: { weight?: unknown }) => n + (typeof d.weight === 'number' ? d.weight : 0),
      0,
    );
    if (total === 0) errs.push(`${p}: total destination weight = 0`);
  });
}

const httpMatch = obj({
  name: str,
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: stringMatchMap,
  withoutHeaders: stringMatchMap,
  queryParams: stringMatchMap,
  port,
  sourceLabels: strMap,
  gateways: strList,
  sourceNamespace: str,
  ignoreUriCase: bool,
  statPrefix: str,
});

const redirect = all(
  obj({
    uri: str,
    authority: str,
    port,
    derivePort: oneOf('FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT'),
    scheme: oneOf('http', 'https'),
    redirectCode: int(0, 999),
    prefixRewrite: str,
  }),
  rule((o) => {
    const out: [string, string][] = [];
    if (o.uri && o.prefixRewrite) out.push(['', 'redirect may only specify one of uri or prefix_rewrite']);
    if (!o.uri && !o.prefixRewrite && !o.authority && o.port === undefined && !o.derivePort && !o.scheme)
      out.push(['', 'redirect must specify URI, authority, scheme, or port']);
    const code = o.redirectCode;
    if (typeof code === 'number' && code !== 0 && !REDIRECT_CODES.includes(code))
      out.push(['redirectCode', `${code} is not a redirect code Envoy supports (${REDIRECT_CODES.join(', ')})`]);
    return out;
  }),
);

const httpStatus: Check = (v, p, errs) => {
  if (!Number.isInteger(v) || (v as number) < 200 || (v as number) > 599)
    errs.push(`${p}: HTTP status ${String(v)} is not in range 200-599`);
};

const directResponse = obj(
  {
    status: httpStatus,
    body: all(
      obj({ string: str, bytes: str }),
      rule((o) => {
        const s = typeof o.string === 'string' ? o.string.length : typeof o.bytes === 'string' ? o.bytes.length : 0;
        return s > 1024 * 1024
          ? [['', 'large direct_responses may impact control plane performance, must be less than 1MB']]
          : [];
      }),
    ),
  },
  ['status'],
);

const rewrite = all(
  obj({ uri: str, authority: str, uriRegexRewrite: obj({ match: regex, rewrite: str }, ['match', 'rewrite']) }),
  rule((o) =>
    o.uri && o.uriRegexRewrite
      ? [['', 'rewrite may only contain one of URI or UriRegexRewrite']]
      : !o.uri && !o.uriRegexRewrite && !o.authority
        ? [['', 'rewrite must specify at least one of URI, UriRegexRewrite, or authority']]
        : [],
  ),
);

const retries = obj({
  attempts: int(0, 2147483647),
  perTryTimeout: duration,
  retryOn: str,
  retryRemoteLocalities: bool,
  retryIgnorePreviousHosts: bool,
  backoff: duration,
});

const fault = all(
  obj({
    delay: all(
      obj({ fixedDelay: duration, exponentialDelay: duration, percentage: percent, percent: int(0, 100) }),
      rule((o) =>
        o.exponentialDelay !== undefined ? [['exponentialDelay', 'exponentialDelay not supported yet']] : [],
      ),
    ),
    abort: all(
      obj({
        httpStatus,
        grpcStatus: (v, p, errs) => {
          if (typeof v !== 'string' || !(v in GRPC_STATUS))
            errs.push(`${p}: gRPC status ${String(v)} is not supported`);
        },
        percentage: percent,
      }),
      rule((o) =>
        o.http2Error !== undefined ? [['http2Error', 'HTTP/2 abort fault injection not supported yet']] : [],
      ),
    ),
  }),
  rule((o) =>
    o.delay === undefined && o.abort === undefined
      ? [['', 'HTTP fault injection must have an abort and/or a delay']]
      : [],
  ),
);

const cors = obj({
  allowOrigins: list(stringMatch),
  allowOrigin: strList,
  allowMethods: strList,
  allowHeaders: strList,
  exposeHeaders: strList,
  maxAge: all(
    duration,
    parsed((t) => {
      const d = parseIstioDuration(t);
      return d.ok && d.value % 1000 !== 0
        ? { ok: false, problem: 'max_age duration is accurate only to seconds precision' }
        : { ok: true };
    }),
  ),
  allowCredentials: bool,
  unmatchedPreflights: oneOf('UNSPECIFIED', 'FORWARD', 'IGNORE'),
});

const httpRoute = all(
  obj({
    name: str,
    match: list(httpMatch),
    route: destinations({ headers }),
    redirect,
    directResponse,
    delegate: obj({ name: str, namespace: str }),
    rewrite,
    timeout: duration,
    retries,
    fault,
    mirror: destination,
    mirrorPercentage: percent,
    mirrorPercent: int(0, 100),
    mirrors: list(obj({ destination, percentage: percent }, ['destination'])),
    corsPolicy: cors,
    headers,
  }),
  rule((o) => {
    const actions = ['route', 'redirect', 'directResponse', 'delegate'].filter(
      (k) => o[k] !== undefined && !(Array.isArray(o[k]) && o[k].length === 0),
    );
    if (actions.length === 0) return [['', 'HTTP route, redirect or direct response is required']];
    if (actions.length > 1) return [['', `only one of ${actions.join(', ')} may be set`]];
    if (o.rewrite !== undefined && o.redirect !== undefined)
      return [['', 'must not specify both redirect and rewrite']];
    return [];
  }),
);

const l4Match = {
  port,
  destinationSubnets: strList,
  sourceLabels: strMap,
  gateways: strList,
  sourceNamespace: str,
};

export const virtualServiceSpec: Check = all(
  obj({
    hosts: strList,
    gateways: strList,
    exportTo: strList,
    http: list(httpRoute),
    tls: list(
      obj(
        { match: list(obj({ ...l4Match, sniHosts: list(str, { min: 1 }) }, ['sniHosts'])), route: destinations({}) },
        ['match'],
      ),
    ),
    tcp: list(obj({ match: list(obj(l4Match)), route: destinations({}) })),
  }),
  rule((o) => {
    const out: [string, string][] = [];
    const none = (k: string) => !Array.isArray(o[k]) || o[k].length === 0;
    if (none('http') && none('tcp') && none('tls'))
      out.push(['', 'http, tcp or tls must be provided in virtual service']);
    const mesh = none('gateways') || (o.gateways as unknown[]).includes('mesh');
    if (mesh && Array.isArray(o.hosts) && o.hosts.includes('*'))
      out.push(['hosts', 'wildcard host * is not allowed for virtual services bound to the mesh gateway']);
    if (none('hosts')) out.push(...delegateProblems(o));
    return out;
  }),
);

/**
 * A VirtualService without hosts is a delegate: no gateways, tls or tcp, and
 * none of its rules may delegate again (validation.go: ValidateVirtualService;
 * virtualservice.go: validateHTTPRouteConflict).
 */
function delegateProblems(o: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const some = (k: string) => Array.isArray(o[k]) && o[k].length > 0;
  if (some('gateways')) out.push(['gateways', 'delegate virtual service must have no gateways specified']);
  if (some('tls')) out.push(['tls', 'delegate virtual service must have no tls route specified']);
  if (some('tcp')) out.push(['tcp', 'delegate virtual service must have no tcp route specified']);
  const http = Array.isArray(o.http) ? (o.http as unknown[]) : [];
  http.forEach((r, i) => {
    if (r !== null && typeof r === 'object' && (r as Record<string, unknown>).delegate !== undefined)
      out.push([`http[${i}].delegate`, 'delegate HTTP route cannot contain delegate']);
  });
  return out;
}
