// The shape of every input kind, as far as the control plane reads it. Field
// names and enums follow the Gateway API v1.5.1 and Istio 1.30 CRDs and the
// Kubernetes API; required fields are the ones those schemas require.
import { targeting } from './security-schemas';
import {
  parseGatewayDuration,
  parseHeaderName,
  parseHostname,
  parseIp,
  parseIpOrCidr,
  parseRe2,
  parseWeight,
} from './values';
import {
  all,
  anyObject,
  parsed,
  rule,
  bool,
  int,
  intOrString,
  list,
  obj,
  oneOf,
  port,
  portKeyed,
  portMap,
  str,
  strList,
  strMap,
  type Check,
} from './checks';

export const metadata = obj(
  {
    name: str,
    namespace: str,
    labels: strMap,
    annotations: strMap,
    uid: str,
    resourceVersion: str,
    generation: int(0),
  },
  ['name'],
);

/** A whole object: apiVersion/kind/metadata plus kind-specific top-level fields. */
export const object = (fields: Record<string, Check> = {}, required: readonly string[] = []): Check =>
  obj({ apiVersion: str, kind: str, metadata, ...fields }, ['apiVersion', 'kind', 'metadata', ...required]);

export const labelSelector = obj({
  matchLabels: strMap,
  matchExpressions: list(
    obj({ key: str, operator: oneOf('In', 'NotIn', 'Exists', 'DoesNotExist'), values: strList }, ['key', 'operator']),
  ),
});

// Kubernetes core.

const ip = parsed(parseIp);
// A headless Service says None; a Service being created may have none yet.
const clusterIp = parsed((t) => (t === 'None' || t === '' ? { ok: true, value: t } : parseIp(t)));

export const service = obj({
  type: oneOf('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
  clusterIP: clusterIp,
  clusterIPs: list(clusterIp),
  externalName: str,
  selector: strMap,
  ports: list(
    obj({ name: str, port, targetPort: intOrString, protocol: oneOf('TCP', 'UDP', 'SCTP'), appProtocol: str }, [
      'port',
    ]),
  ),
});

export const podSpec = obj({
  nodeName: str,
  serviceAccountName: str,
  hostNetwork: bool,
  containers: list(
    obj({
      name: str,
      image: str,
      ports: list(obj({ name: str, containerPort: port, protocol: str }, ['containerPort'])),
    }),
  ),
});

export const podStatus = obj({
  phase: str,
  podIP: ip,
  podIPs: list(obj({ ip }, ['ip'])),
  conditions: list(obj({ type: str, status: str }, ['type', 'status'])),
});

/** EndpointSlice addresses are of the slice's addressType (the API server checks the same). */
export const endpointSliceAddresses = rule((o) => {
  const family = o.addressType === 'IPv4' ? 4 : o.addressType === 'IPv6' ? 6 : undefined;
  if (!family || !Array.isArray(o.endpoints)) return [];
  const out: [string, string][] = [];
  (o.endpoints as { addresses?: unknown }[]).forEach((e, i) => {
    if (!Array.isArray(e?.addresses)) return;
    e.addresses.forEach((a: unknown, j) => {
      if (typeof a !== 'string') return;
      const r = parseIp(a);
      if (!r.ok) out.push([`endpoints[${i}].addresses[${j}]`, r.problem]);
      else if (r.value.family !== family)
        out.push([`endpoints[${i}].addresses[${j}]`, `not an ${String(o.addressType)} address`]);
    });
  });
  return out;
});

export const endpointSliceFields: Record<string, Check> = {
  addressType: oneOf('IPv4', 'IPv6', 'FQDN'),
  endpoints: list(
    obj(
      {
        addresses: list(str, { min: 1 }),
        conditions: obj({ ready: bool, serving: bool, terminating: bool }),
        hostname: str,
        nodeName: str,
        zone: str,
        targetRef: obj({ kind: str, name: str, namespace: str, uid: str }),
      },
      ['addresses'],
    ),
  ),
  ports: list(obj({ name: str, port, protocol: str, appProtocol: str })),
};

// Gateway API.

const listener = obj(
  {
    name: str,
    hostname: parsed(parseHostname),
    port,
    protocol: str,
    allowedRoutes: obj({
      namespaces: obj({ from: oneOf('All', 'Selector', 'Same'), selector: labelSelector }),
      kinds: list(obj({ group: str, kind: str }, ['kind'])),
    }),
  },
  ['name', 'port', 'protocol'],
);

// An IPAddress-typed address must be an IP, as the spec says (the CRD only checks Hostname values);
// the type defaults to IPAddress.
const gatewayAddress = all(
  obj({ type: str, value: str }, ['value']),
  rule((a) => {
    if ((a.type ?? 'IPAddress') !== 'IPAddress' || typeof a.value !== 'string') return [];
    return parseIp(a.value).ok ? [] : [['value', 'value must be an IP address']];
  }),
);

export const gatewaySpec = obj(
  { gatewayClassName: str, listeners: list(listener, { min: 1 }), addresses: list(gatewayAddress) },
  ['gatewayClassName', 'listeners'],
);
export const gatewayStatus = obj({ addresses: list(gatewayAddress) });
export const gatewayClassSpec = obj({ controllerName: str, description: str }, ['controllerName']);

const parentRef = obj({ group: str, kind: str, namespace: str, name: str, sectionName: str, port }, ['name']);
const backendRef = obj(
  {
    group: str,
    kind: str,
    namespace: str,
    name: str,
    port,
    weight: (w, p, errs) => {
      const r = parseWeight(w);
      if (!r.ok) errs.push(`${p}: ${r.problem}`);
    },
    filters: list(anyObject),
  },
  ['name'],
);

/** A value that is a regex when `type` says so: RE2 syntax, as Envoy's safe_regex compiles it. */
const regexWhen = (types: readonly string[], field = 'value') =>
  rule((m) => {
    if (!types.includes(m.type as string) || typeof m[field] !== 'string') return [];
    const r = parseRe2(m[field]);
    return r.ok ? [] : [[field, r.problem]];
  });

const stringMatch = (nameCheck: Check) =>
  all(
    obj({ type: oneOf('Exact', 'RegularExpression'), name: nameCheck, value: str }, ['name', 'value']),
    regexWhen(['RegularExpression']),
  );
const headerMatch = stringMatch(parsed(parseHeaderName));
const filter = obj({ type: str }, ['type']);

const routeCommon = { parentRefs: list(parentRef), hostnames: list(parsed(parseHostname)) };

// The HTTPRoute CRD's CEL rules on path matches, with its messages.
const PATH_CHARS = /^(?:[-A-Za-z0-9/._~!$&'()*+,;=:@]|[%][0-9a-fA-F]{2})+$/;
const pathRules = rule((m) => {
  const type = (m.type as string | undefined) ?? 'PathPrefix';
  const value = typeof m.value === 'string' ? m.value : '/';
  if (type === 'RegularExpression') {
    const r = parseRe2(value);
    return r.ok ? [] : [['value', r.problem]];
  }
  const when = "when type one of ['Exact', 'PathPrefix']";
  const out: [string, string][] = [];
  if (!value.startsWith('/')) out.push(['value', `value must be an absolute path and start with '/' ${when}`]);
  for (const bad of ['//', '/./', '/../', '%2f', '%2F', '#'])
    if (value.includes(bad)) out.push(['value', `must not contain '${bad}' ${when}`]);
  for (const end of ['/..', '/.']) if (value.endsWith(end)) out.push(['value', `must not end with '${end}' ${when}`]);
  if (!PATH_CHARS.test(value))
    out.push([
      'value',
      `must only contain valid characters (matching ${PATH_CHARS.source}) for types ['Exact', 'PathPrefix']`,
    ]);
  return out;
});

const duration = parsed(parseGatewayDuration);
// The CRD's CEL rule: a backend attempt cannot outlast the whole request (0s means no limit).
const timeouts = all(
  obj({ request: duration, backendRequest: duration }),
  rule((t) => {
    if (typeof t.request !== 'string' || typeof t.backendRequest !== 'string') return [];
    const req = parseGatewayDuration(t.request);
    const be = parseGatewayDuration(t.backendRequest);
    return req.ok && be.ok && req.value !== 0 && be.value > req.value
      ? [['backendRequest', 'backendRequest timeout cannot be longer than request timeout']]
      : [];
  }),
);

export const httpRouteSpec = obj({
  ...routeCommon,
  rules: list(
    obj({
      name: str,
      matches: list(
        obj({
          path: all(obj({ type: oneOf('Exact', 'PathPrefix', 'RegularExpression'), value: str }), pathRules),
          headers: list(headerMatch),
          queryParams: list(stringMatch(str)),
          method: oneOf('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'),
        }),
      ),
      filters: list(filter),
      backendRefs: list(backendRef),
      timeouts,
      retry: obj({ attempts: int(0), backoff: duration, codes: list(int(400, 599)) }),
    }),
  ),
});

export const grpcRouteSpec = obj({
  ...routeCommon,
  rules: list(
    obj({
      name: str,
      matches: list(
        obj({
          method: all(
            obj({ type: oneOf('Exact', 'RegularExpression'), service: str, method: str }),
            regexWhen(['RegularExpression'], 'service'),
            regexWhen(['RegularExpression'], 'method'),
          ),
          headers: list(headerMatch),
        }),
      ),
      filters: list(filter),
      backendRefs: list(backendRef),
    }),
  ),
});

/** TCPRoute and TLSRoute: backends only. */
export const l4RouteSpec = obj({
  ...routeCommon,
  rules: list(obj({ name: str, backendRefs: list(backendRef) })),
});

export const referenceGrantSpec = obj(
  {
    from: list(obj({ group: str, kind: str, namespace: str }, ['group', 'kind', 'namespace']), { min: 1 }),
    to: list(obj({ group: str, kind: str, name: str }, ['group', 'kind']), { min: 1 }),
  },
  ['from', 'to'],
);

// Istio.

export { authorizationPolicySpec, requestAuthenticationSpec } from './security-schemas';

export { telemetrySpec } from './telemetry-schema';
export const wasmPluginSpec = obj(
  { ...targeting, url: str, phase: oneOf('UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'), pluginConfig: anyObject },
  ['url'],
);
export const envoyFilterSpec = obj({
  workloadSelector: obj({ labels: strMap }),
  targetRefs: targeting.targetRefs,
  configPatches: list(anyObject),
});

export const serviceEntrySpec = obj(
  {
    hosts: list(str, { min: 1 }),
    addresses: list(parsed(parseIpOrCidr)),
    ports: list(obj({ number: port, protocol: str, name: str, targetPort: port }, ['number', 'name'])),
    location: oneOf('MESH_EXTERNAL', 'MESH_INTERNAL'),
    resolution: oneOf('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'),
    endpoints: list(obj({ address: str, ports: portMap, labels: strMap, network: str, locality: str })),
    workloadSelector: obj({ labels: strMap }),
  },
  ['hosts'],
);

export const workloadEntrySpec = obj({
  address: str,
  ports: portMap,
  labels: strMap,
  serviceAccount: str,
  network: str,
  locality: str,
});

export { destinationRuleSpec } from './traffic-policy-schema';

const mtlsMode = obj({ mode: oneOf('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') });

const peerAuthenticationFields = obj({
  selector: obj({ matchLabels: strMap }),
  mtls: mtlsMode,
  portLevelMtls: portKeyed(mtlsMode),
});

export const peerAuthenticationSpec: Check = (v, p, errs) => {
  peerAuthenticationFields(v, p, errs);
  // The CRD's own rule: ports are only meaningful on the workloads a selector picks.
  const spec = v as { selector?: { matchLabels?: object }; portLevelMtls?: unknown };
  if (spec.portLevelMtls !== undefined && Object.keys(spec.selector?.matchLabels ?? {}).length === 0)
    errs.push(`${p}.portLevelMtls: requires a selector`);
};
