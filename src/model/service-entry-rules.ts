// istiod's rules for a ServiceEntry beyond the shape of its fields
// (`pkg/config/validation/validation.go: ValidateServiceEntry`), with istiod's
// wording, each placed at the field it is about. Warnings istiod only logs
// (partial wildcards, TCP ports without addresses) are not refusals here either.
import { rule, type Check } from './checks';
import {
  alphaSelectorProblems,
  exportToProblems,
  fqdnProblem,
  isHttpProtocol,
  isTlsProtocol,
  labelProblems,
  parseProtocol,
  portNameProblem,
  portProblem,
  wildcardDomainProblem,
} from './istio-names';
import { parseIp } from './values';

type Json = Record<string, unknown>;
type Found = [string, string][];
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const records = (v: unknown): Json[] => (Array.isArray(v) ? v.map((x) => (isRecord(x) ? x : {})) : []);

/** `validation.go: ValidateUnixAddress`. */
function unixProblem(addr: string): string | undefined {
  if (addr.length === 0) return 'unix address must not be empty';
  if (addr.startsWith('@')) return undefined;
  if (!addr.startsWith('/') || addr.endsWith('/')) return `${addr} is not an absolute path to a file`;
  return undefined;
}

/** An endpoint's named ports: each a service port, a valid name and number. */
function endpointPorts(ep: Json, at: string, servicePorts: ReadonlySet<string>, out: Found): void {
  for (const [name, port] of Object.entries(isRecord(ep.ports) ? ep.ports : {})) {
    const where = `${at}.ports.${name}`;
    if (!servicePorts.has(name)) out.push([where, `endpoint port ${String(port)} is not defined by the service entry`]);
    const bad = portNameProblem(name) ?? (typeof port === 'number' ? portProblem(port) : undefined);
    if (bad) out.push([where, bad]);
  }
  for (const p of labelProblems(isRecord(ep.labels) ? ep.labels : {})) out.push([`${at}.labels`, p]);
}

/** `validation.go: validateWorkloadEntry(ep, servicePorts, false)`: STATIC endpoints are IPs or unix sockets. */
function staticEndpoint(ep: Json, at: string, servicePorts: ReadonlySet<string>, out: Found): void {
  const addr = typeof ep.address === 'string' ? ep.address : '';
  if (addr === '' && !ep.network) return void out.push([`${at}.address`, 'address is required']);
  const unix = addr.startsWith('unix://');
  if (unix) {
    const p = unixProblem(addr.slice('unix://'.length));
    if (p) out.push([`${at}.address`, p]);
    if (isRecord(ep.ports) && Object.keys(ep.ports).length > 0)
      out.push([`${at}.ports`, `unix endpoint ${addr} must not include ports`]);
  } else if (addr !== '' && !parseIp(addr).ok) {
    out.push([`${at}.address`, `endpoint address ${JSON.stringify(addr)} is not a valid IP address`]);
  }
  endpointPorts(ep, at, servicePorts, out);
  if (unix && servicePorts.size !== 1) out.push([at, 'exactly 1 service port required for unix endpoints']);
}

/** The resolution-specific rules (the `switch serviceEntry.Resolution` of ValidateServiceEntry). */
function byResolution(spec: Json, resolution: string, servicePorts: ReadonlySet<string>, out: Found): void {
  const hosts = strings(spec.hosts);
  const endpoints = records(spec.endpoints);
  const ports = records(spec.ports);
  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0)
        out.push(['spec.endpoints', 'no endpoints should be provided for resolution type none']);
      return;
    case 'STATIC':
      endpoints.forEach((ep, i) => staticEndpoint(ep, `spec.endpoints[${i}]`, servicePorts, out));
      return;
    case 'DNS':
    case 'DNS_ROUND_ROBIN': {
      if (endpoints.length === 0) {
        const i = hosts.findIndex((h) => fqdnProblem(h) !== undefined);
        if (i >= 0)
          out.push([
            `spec.hosts[${i}]`,
            `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${fqdnProblem(hosts[i] as string) as string}`,
          ]);
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1)
        out.push(['spec.endpoints', `there must only be 0 or 1 endpoint for resolution mode ${resolution}`]);
      endpoints.forEach((ep, i) => {
        const addr = typeof ep.address === 'string' ? ep.address : '';
        if (!parseIp(addr).ok && fqdnProblem(addr))
          out.push([
            `spec.endpoints[${i}].address`,
            `endpoint address ${JSON.stringify(addr)} is not a valid FQDN or an IP address`,
          ]);
        endpointPorts(ep, `spec.endpoints[${i}]`, servicePorts, out);
      });
      return;
    }
    case 'DYNAMIC_DNS':
      hosts.forEach((h, i) => {
        if (!h.startsWith('*'))
          out.push([`spec.hosts[${i}]`, `host must be wildcarded for resolution mode ${resolution}`]);
      });
      // Both messages lack a space where istiod's source joins two strings; kept so they can be searched.
      if (strings(spec.addresses).length > 0)
        out.push([
          'spec.addresses',
          `addresses cannot be set for resolution type ${resolution}. HTTP route domains will only be generatedfrom the hosts field values`,
        ]);
      if (endpoints.length > 0)
        out.push([
          'spec.endpoints',
          `endpoints cannot be set for resolution type ${resolution}. Destination IP address determined from hostsfield values`,
        ]);
      ports.forEach((p, i) => {
        const proto = parseProtocol(typeof p.protocol === 'string' ? p.protocol : '');
        if (!['HTTP', 'TLS', 'GRPC', 'HTTP2'].includes(proto ?? ''))
          out.push([
            `spec.ports[${i}].protocol`,
            `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type ${resolution}`,
          ]);
      });
      return;
  }
}

/** `validation.go: usesWaypoint`. */
function usesWaypoint(meta: Json): boolean {
  const v = isRecord(meta.labels) ? meta.labels['istio.io/use-waypoint'] : undefined;
  return typeof v === 'string' && v !== '' && v.toLowerCase() !== 'none';
}

/** `validation.go: ValidateServiceEntry`, on the whole object (exportTo needs its namespace, waypoint use its labels). */
export const serviceEntryRules: Check = rule((o) => {
  const out: Found = [];
  const spec = isRecord(o.spec) ? o.spec : {};
  const meta = isRecord(o.metadata) ? o.metadata : {};
  const resolution = typeof spec.resolution === 'string' ? spec.resolution : 'NONE';
  const selector = isRecord(spec.workloadSelector) ? spec.workloadSelector : undefined;

  for (const [k, p] of alphaSelectorProblems(selector && isRecord(selector.labels) ? selector.labels : {}))
    out.push([`spec.workloadSelector.labels${k ? `.${k}` : ''}`, p]);
  // An empty list decodes to none (protojson), so istiod lets `endpoints: []` beside a selector pass.
  if (selector && records(spec.endpoints).length > 0)
    out.push(['spec', 'only one of WorkloadSelector or Endpoints is allowed in Service Entry']);

  const hosts = strings(spec.hosts);
  hosts.forEach((h, i) => {
    const bad = h === '*' ? `invalid host ${h}` : wildcardDomainProblem(h);
    if (bad) out.push([`spec.hosts[${i}]`, bad]);
  });

  const addresses = strings(spec.addresses);
  if (addresses.some((a) => a.includes('/')) && resolution !== 'NONE' && resolution !== 'STATIC')
    out.push(['spec.addresses', 'CIDR addresses are allowed only for NONE/STATIC resolution types']);

  const names = new Set<string>();
  const numbers = new Set<number>();
  records(spec.ports).forEach((p, i) => {
    const at = `spec.ports[${i}]`;
    // A port without a name is refused by the shape check (schemas.ts).
    const name = typeof p.name === 'string' ? p.name : undefined;
    if (name !== undefined && names.has(name))
      out.push([`${at}.name`, `service entry port name ${JSON.stringify(name)} already defined`]);
    if (name !== undefined) names.add(name);
    if (typeof p.number === 'number') {
      if (numbers.has(p.number)) out.push([`${at}.number`, `service entry port ${p.number} already defined`]);
      numbers.add(p.number);
    }
    const target = typeof p.targetPort === 'number' && p.targetPort !== 0 ? portProblem(p.targetPort) : undefined;
    if (target) out.push([`${at}.targetPort`, target]);
    const badName = name === undefined ? undefined : portNameProblem(name);
    if (badName) out.push([`${at}.name`, badName]);
    if (typeof p.protocol === 'string' && p.protocol !== '' && !parseProtocol(p.protocol))
      out.push([`${at}.protocol`, `unsupported protocol: ${p.protocol}`]);
  });

  byResolution(spec, resolution, names, out);
  if (resolution === 'DYNAMIC_DNS' && spec.location === 'MESH_INTERNAL' && usesWaypoint(meta))
    out.push([
      'spec.location',
      `location MESH_INTERNAL with resolution type ${resolution} is not supported when using waypoints`,
    ]);

  // Plain TCP cannot tell hosts apart; with NONE resolution the hosts are not used.
  if (resolution !== 'NONE' && hosts.length > 1) {
    const i = records(spec.ports).findIndex((p) => {
      const proto = parseProtocol(typeof p.protocol === 'string' ? p.protocol : '');
      return !isHttpProtocol(proto) && !isTlsProtocol(proto);
    });
    if (i >= 0) out.push([`spec.ports[${i}].protocol`, 'multiple hosts provided with non-HTTP, non-TLS ports']);
  }

  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  for (const p of exportToProblems(namespace, strings(spec.exportTo), true)) out.push(['spec.exportTo', p]);
  return out;
});
