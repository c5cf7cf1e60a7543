// The name, label, protocol and visibility checks istiod's validation shares
// between kinds (pkg/config/labels, pkg/config/protocol, pkg/config/visibility,
// validation/agent), with istiod's wording.

/** `labels/instance.go`: a DNS-1123 label; istiod lets upper case through. */
const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
const WILDCARD_LABEL = /^(?:\*|(?:\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;
const QUALIFIED_NAME = '(?:[A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const TAG_KEY = new RegExp(
  `^((?:[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)(?:\\.[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)*/)?(${QUALIFIED_NAME})$`,
);
const TAG_VALUE = new RegExp(`^(${QUALIFIED_NAME})?$`);

/** `labels.IsDNS1123Label`. */
export const isDns1123Label = (s: string): boolean => s.length <= 63 && DNS1123_LABEL.test(s);

/** `labels.IsWildcardDNS1123Label`. */
const isWildcardLabel = (s: string): boolean => s.length <= 63 && WILDCARD_LABEL.test(s);

/** `agent/validation.go: CheckDNS1123Preconditions`. */
function preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  if (name.length === 0) return 'empty domain name not allowed';
  return undefined;
}

/** `agent/validation.go: ValidateDNS1123Labels`. */
function labelsProblem(domain: string): string | undefined {
  const parts = domain.split('.');
  const tld = parts[parts.length - 1] as string;
  if (/^[+-]?\d+$/.test(tld))
    return `domain name ${JSON.stringify(domain)} invalid (top level domain ${JSON.stringify(tld)} cannot be all-numeric)`;
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] as string;
    if (i === parts.length - 1 && label === '') return undefined; // `istio.io.`
    if (!isDns1123Label(label))
      return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(label)} invalid)`;
  }
  return undefined;
}

/** `agent/validation.go: ValidateFQDN`. */
export const fqdnProblem = (name: string): string | undefined => preconditions(name) ?? labelsProblem(name);

/** `agent/validation.go: ValidateWildcardDomain`: a wildcard only in the first label. */
export function wildcardDomainProblem(domain: string): string | undefined {
  const pre = preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf('.');
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!isWildcardLabel(first))
    return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(first)} invalid)`;
  return dot < 0 ? undefined : labelsProblem(domain.slice(dot + 1));
}

/** `validation.go: ValidatePortName`. */
export const portNameProblem = (name: string): string | undefined =>
  isDns1123Label(name) ? undefined : `invalid port name: ${name}`;

/** `agent/validation.go: ValidatePort`. */
export const portProblem = (n: number): string | undefined =>
  Number.isInteger(n) && n >= 1 && n <= 65535 ? undefined : `port number ${n} must be in the range 1..65535`;

/** `labels.Instance.Validate`. */
export function labelProblems(labels: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const m = TAG_KEY.exec(k);
    if (!m) out.push(`invalid tag key: ${JSON.stringify(k)}`);
    else if (m[1] && m[1].length - 1 > 253) out.push(`invalid tag key: ${JSON.stringify(k)} (DNS prefix is too long)`);
    else if ((m[2] ?? '').length > 63) out.push(`invalid tag key: ${JSON.stringify(k)} (name is too long)`);
    if (!TAG_VALUE.test(String(v))) out.push(`invalid tag value: ${JSON.stringify(String(v))}`);
  }
  return out;
}

/** `protocol.Parse`: the protocol a port name means, or undefined for one istiod does not know. */
export function parseProtocol(p: string): string | undefined {
  const known: Record<string, string> = {
    tcp: 'TCP',
    udp: 'UDP',
    grpc: 'GRPC',
    'grpc-web': 'GRPC-Web',
    http: 'HTTP',
    http_proxy: 'HTTP_PROXY',
    http2: 'HTTP2',
    https: 'HTTPS',
    tls: 'TLS',
    mongo: 'Mongo',
    redis: 'Redis',
    mysql: 'MySQL',
  };
  return known[p.toLowerCase()];
}

/** `protocol.Instance.IsHTTP`. */
export const isHttpProtocol = (p: string | undefined): boolean =>
  p !== undefined && ['HTTP', 'HTTP2', 'HTTP_PROXY', 'GRPC', 'GRPC-Web'].includes(p);
/** `protocol.Instance.IsTLS`. */
export const isTlsProtocol = (p: string | undefined): boolean => p === 'HTTPS' || p === 'TLS';

/** `validation.go: validateExportTo` (`isServiceEntry` lets `~` through). */
export function exportToProblems(namespace: string, exportTo: readonly string[], isServiceEntry: boolean): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of exportTo) {
    const key = e === '.' ? namespace : e;
    if (seen.has(key)) {
      out.push(
        key !== e
          ? `duplicate entries in exportTo: . and current namespace ${namespace}`
          : `duplicate entries in exportTo for entry ${e}`,
      );
    } else if (isServiceEntry && e === '~') {
      seen.add(key);
    } else if (key === '~') {
      out.push('exportTo ~ (none) is not allowed for Istio configuration objects');
    } else if (key !== '*' && key !== '.' && !isDns1123Label(key)) {
      out.push('only .,*, or a valid DNS 1123 label is allowed as exportTo entry');
    } else {
      seen.add(key);
    }
  }
  if (seen.has('*') && exportTo.length > 1)
    out.push('cannot have both public (*) and non-public exportTo values for a resource');
  if (seen.has('~') && exportTo.length > 1) out.push('cannot export service entry to no one (~) and someone');
  return out;
}

/** `validation.go: ValidateAlphaWorkloadSelector`: no empty keys, no wildcards. */
export function alphaSelectorProblems(labels: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  for (const [k, v] of Object.entries(labels)) {
    const shown = JSON.stringify(`${k}=${String(v)}`);
    if (k === '') out.push(['', `empty key is not supported in selector: ${shown}`]);
    if (k.includes('*') || String(v).includes('*')) out.push([k, `wildcard is not supported in selector: ${shown}`]);
  }
  return out;
}
