// The shape of every input kind, as far as the control plane reads it. Field
// names and enums follow the Gateway API v1.5.1 and Istio 1.30 CRDs and the
// Kubernetes API; required fields are the ones those schemas require.
import {
  anyObject,
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

export const service = obj({
  type: oneOf('ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'),
  clusterIP: str,
  clusterIPs: strList,
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
  podIP: str,
  podIPs: list(obj({ ip: str }, ['ip'])),
  conditions: list(obj({ type: str, status: str }, ['type', 'status'])),
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
    hostname: str,
    port,
    protocol: str,
    allowedRoutes: obj({
      namespaces: obj({ from: oneOf('All', 'Selector', 'Same'), selector: labelSelector }),
      kinds: list(obj({ group: str, kind: str }, ['kind'])),
    }),
  },
  ['name', 'port', 'protocol'],
);

const gatewayAddress = obj({ type: str, value: str }, ['value']);

export const gatewaySpec = obj(
  { gatewayClassName: str, listeners: list(listener, { min: 1 }), addresses: list(gatewayAddress) },
  ['gatewayClassName', 'listeners'],
);
export const gatewayStatus = obj({ addresses: list(gatewayAddress) });
export const gatewayClassSpec = obj({ controllerName: str, description: str }, ['controllerName']);

const parentRef = obj({ group: str, kind: str, namespace: str, name: str, sectionName: str, port }, ['name']);
const backendRef = obj(
  { group: str, kind: str, namespace: str, name: str, port, weight: int(0, 1_000_000), filters: list(anyObject) },
  ['name'],
);
const stringMatch = obj({ type: oneOf('Exact', 'RegularExpression'), name: str, value: str }, ['name', 'value']);
const filter = obj({ type: str }, ['type']);

const routeCommon = { parentRefs: list(parentRef), hostnames: strList };

export const httpRouteSpec = obj({
  ...routeCommon,
  rules: list(
    obj({
      name: str,
      matches: list(
        obj({
          path: obj({ type: oneOf('Exact', 'PathPrefix', 'RegularExpression'), value: str }),
          headers: list(stringMatch),
          queryParams: list(stringMatch),
          method: oneOf('GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'),
        }),
      ),
      filters: list(filter),
      backendRefs: list(backendRef),
      timeouts: obj({ request: str, backendRequest: str }),
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
          method: obj({ type: oneOf('Exact', 'RegularExpression'), service: str, method: str }),
          headers: list(stringMatch),
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

const targetRef = obj({ group: str, kind: str, name: str, namespace: str }, ['kind', 'name']);
const targeting = {
  selector: obj({ matchLabels: strMap }),
  targetRef,
  targetRefs: list(targetRef),
};

const stringLists = (...keys: string[]) => obj(Object.fromEntries(keys.map((k) => [k, strList])));

export const authorizationPolicySpec = obj({
  ...targeting,
  action: oneOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
  provider: obj({ name: str }, ['name']),
  rules: list(
    obj({
      from: list(
        obj({
          source: stringLists(
            'principals',
            'notPrincipals',
            'requestPrincipals',
            'notRequestPrincipals',
            'namespaces',
            'notNamespaces',
            'ipBlocks',
            'notIpBlocks',
            'remoteIpBlocks',
            'notRemoteIpBlocks',
            'serviceAccounts',
            'notServiceAccounts',
            'trustDomains',
            'notTrustDomains',
          ),
        }),
      ),
      to: list(
        obj({
          operation: stringLists(
            'hosts',
            'notHosts',
            'ports',
            'notPorts',
            'methods',
            'notMethods',
            'paths',
            'notPaths',
          ),
        }),
      ),
      when: list(obj({ key: str, values: strList, notValues: strList }, ['key'])),
    }),
  ),
});

export const requestAuthenticationSpec = obj({
  ...targeting,
  jwtRules: list(
    obj(
      {
        issuer: str,
        audiences: strList,
        jwksUri: str,
        jwks: str,
        fromHeaders: list(obj({ name: str, prefix: str }, ['name'])),
        fromParams: strList,
        fromCookies: strList,
        outputPayloadToHeader: str,
        forwardOriginalToken: bool,
        outputClaimToHeaders: list(obj({ header: str, claim: str }, ['header', 'claim'])),
        timeout: str,
        spaceDelimitedClaims: strList,
      },
      ['issuer'],
    ),
  ),
});

export const telemetrySpec = obj({ ...targeting, accessLogging: list(anyObject), metrics: list(anyObject) });
export const wasmPluginSpec = obj(
  { ...targeting, url: str, phase: oneOf('UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'), pluginConfig: anyObject },
  ['url'],
);
export const envoyFilterSpec = obj({
  workloadSelector: obj({ labels: strMap }),
  targetRefs: list(targetRef),
  configPatches: list(anyObject),
});

export const serviceEntrySpec = obj(
  {
    hosts: list(str, { min: 1 }),
    addresses: strList,
    ports: list(obj({ number: port, protocol: str, name: str, targetPort: port }, ['number', 'name'])),
    location: oneOf('MESH_EXTERNAL', 'MESH_INTERNAL'),
    resolution: oneOf('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'),
    endpoints: list(obj({ address: str, ports: portMap, labels: strMap, network: str })),
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

const clientTls = obj({ mode: oneOf('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL') });

export const destinationRuleSpec = obj(
  {
    host: str,
    subsets: list(obj({ name: str, labels: strMap }, ['name'])),
    workloadSelector: obj({ matchLabels: strMap }),
    trafficPolicy: obj({
      tls: clientTls,
      portLevelSettings: list(obj({ port: obj({ number: int(0, 4294967295) }), tls: clientTls })),
    }),
  },
  ['host'],
);

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
