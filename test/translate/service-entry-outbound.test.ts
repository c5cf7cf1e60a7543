// Outbound clusters of ServiceEntry hosts a waypoint reaches but does not
// serve (cluster.go: buildOutboundClusters for the services
// waypoint.go: filterWaypointOutboundServices picks): every port, typed by
// resolution, with the DestinationRule's subsets and locality settings.
import { strict as assert } from 'node:assert';
import { waypointInZone } from '../support/waypoint-pod';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';
import { gw, ns, worldOf } from '../ambient/fixtures';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  ns('egress'),
  ns('ext'),
  gw('waypoint', 'egress'),
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'front', namespace: 'egress', labels: { 'istio.io/use-waypoint': 'waypoint' } },
    spec: {
      hosts: ['front.example.com'],
      addresses: ['240.240.0.1'],
      resolution: 'DNS',
      ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
    },
  } as KubeObject,
  // The waypoint's pod, in r1/z1, labelled tier=gold.
  ...waypointInZone({ tier: 'gold' }),
];

/** An entry in `ext` that no waypoint serves. */
function external(spec: J): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'api', namespace: 'ext' },
    spec: {
      hosts: ['api.example.com'],
      ports: [
        { number: 80, name: 'http', protocol: 'HTTP' },
        { number: 443, name: 'tls', protocol: 'TLS' },
        { number: 53, name: 'dns', protocol: 'UDP' },
      ],
      ...spec,
    },
  } as KubeObject;
}

/** A route on the waypoint's own entry sending everything to api.example.com:80. */
const route: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'to-api', namespace: 'egress' },
  spec: {
    parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'front' }],
    rules: [{ backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 80 }] }],
  },
} as KubeObject;

const versions = {
  subsets: [
    { name: 'v1', labels: { version: 'v1' } },
    { name: 'v2', labels: { version: 'v2' } },
    { name: 'v3', labels: { version: 'v3' } },
  ],
};

function rule(spec: J): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'api', namespace: 'ext' },
    spec: { host: 'api.example.com', ...spec },
  } as KubeObject;
}

function run(objects: KubeObject[]): Record<string, J[]> {
  const world = worldOf([...base, ...objects]);
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('egress/waypoint');
  assert.ok(out, 'the waypoint is translated');
  return renderWaypoint(out) as unknown as Record<string, J[]>;
}

const byName = (r: Record<string, J[]>, kind: string, name: string) =>
  r[kind]?.find((x) => (x.name ?? x.clusterName) === name);
const outboundNames = (r: Record<string, J[]>) =>
  (r.clusters ?? []).map((c) => c.name as string).filter((n) => n.startsWith('outbound|'));

/** The addresses of an assignment's endpoints, with each locality group's priority, by priority then address. */
function placed(a: J | undefined): [string, number][] {
  const groups = (a?.endpoints ?? []) as J[];
  const all = groups.flatMap((g) =>
    (g.lbEndpoints as J[]).map(
      (e) =>
        [
          ((e.endpoint as J).address as { socketAddress: { address: string } }).socketAddress.address,
          g.priority ?? 0,
        ] as [string, number],
    ),
  );
  return all.sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : 1));
}

const twoVersions = [
  { address: 'gold.example.net', locality: 'r2/z1', labels: { version: 'v1', tier: 'gold' } },
  { address: 'silver.example.net', locality: 'r1/z1', labels: { version: 'v2', tier: 'silver' } },
];

describe('outbound clusters of a ServiceEntry host another waypoint (or none) serves', () => {
  it('are built for every port but UDP, not only the routed one (cluster.go: buildOutboundClusters loops service.Ports)', () => {
    const r = run([external({ resolution: 'DNS' }), route]);
    assert.deepEqual(outboundNames(r), ['outbound|443||api.example.com', 'outbound|80||api.example.com']);
    assert.equal(byName(r, 'clusters', 'outbound|443||api.example.com')?.type, 'STRICT_DNS');
  });

  it('get a STATIC entry subset cluster per subset, EDS with the endpoints its labels select (cluster_builder.go: buildSubsetCluster)', () => {
    const r = run([
      external({
        resolution: 'STATIC',
        endpoints: [
          { address: '192.0.2.1', labels: { version: 'v1' } },
          { address: '192.0.2.2', labels: { version: 'v2' } },
        ],
      }),
      rule(versions),
      route,
    ]);
    const v1 = byName(r, 'clusters', 'outbound|80|v1|api.example.com');
    assert.equal(v1?.type, 'EDS');
    assert.deepEqual((((v1?.metadata as J).filterMetadata as J).istio as J).subset, 'v1');
    assert.deepEqual(placed(byName(r, 'endpoints', 'outbound|80|v1|api.example.com')), [['192.0.2.1', 0]]);
    assert.deepEqual(placed(byName(r, 'endpoints', 'outbound|80|v3|api.example.com')), []);
    assert.ok(byName(r, 'clusters', 'outbound|443|v2|api.example.com'), 'every port has its subsets');
  });

  it('get DNS subset clusters listing the endpoints their labels select, none for a subset selecting nothing (endpoints.EndpointBuilder.WithSubset; buildCluster)', () => {
    const r = run([external({ resolution: 'DNS', endpoints: twoVersions }), rule(versions), route]);
    const v1 = byName(r, 'clusters', 'outbound|80|v1|api.example.com');
    assert.equal(v1?.type, 'STRICT_DNS');
    assert.deepEqual(placed(v1?.loadAssignment as J), [['gold.example.net', 0]]);
    assert.equal(byName(r, 'clusters', 'outbound|80|v3|api.example.com'), undefined);
  });

  it("rank the default DNS cluster's endpoints by failoverPriority, not a subset's (buildOutboundClusters wraps only the default cluster's endpoints)", () => {
    const r = run([
      external({ resolution: 'DNS', endpoints: twoVersions }),
      rule({
        trafficPolicy: {
          outlierDetection: { consecutive5xxErrors: 3 },
          loadBalancer: { localityLbSetting: { failoverPriority: ['tier'] } },
        },
        subsets: [{ name: 'all', labels: {} }],
      }),
      route,
    ]);
    // The waypoint is gold: the gold endpoint first, though it is in another region.
    assert.deepEqual(placed(byName(r, 'clusters', 'outbound|80||api.example.com')?.loadAssignment as J), [
      ['gold.example.net', 0],
      ['silver.example.net', 1],
    ]);
    // The subset's cluster is left as built: applyFailoverPriorities has no wrapped endpoints for it.
    assert.deepEqual(placed(byName(r, 'clusters', 'outbound|80|all|api.example.com')?.loadAssignment as J), [
      ['gold.example.net', 0],
      ['silver.example.net', 0],
    ]);
  });

  it('get ORIGINAL_DST subset clusters for NONE resolution, and none for a DYNAMIC_DNS host (applyDestinationRule skips DFP subsets)', () => {
    const none = run([external({ resolution: 'NONE' }), rule(versions), route]);
    const v2 = byName(none, 'clusters', 'outbound|80|v2|api.example.com');
    assert.equal(v2?.type, 'ORIGINAL_DST');
    assert.equal(v2?.lbPolicy, 'CLUSTER_PROVIDED');
    const dfp = run([
      external({
        hosts: ['*.api.example.com'],
        resolution: 'DYNAMIC_DNS',
        ports: [
          { number: 80, name: 'http', protocol: 'HTTP' },
          { number: 443, name: 'tls', protocol: 'TLS' },
        ],
      }),
      rule({ host: '*.api.example.com', ...versions }),
      {
        ...route,
        spec: {
          parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'front' }],
          rules: [
            { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: '*.api.example.com', port: 80 }] },
          ],
        },
      } as KubeObject,
    ]);
    // Every port, no subsets.
    assert.deepEqual(outboundNames(dfp), ['outbound|443||*.api.example.com', 'outbound|80||*.api.example.com']);
  });

  it('are built for a VirtualService destination naming the host, its subset beside it (listener_waypoint.go: getWaypointDestinationCluster)', () => {
    const r = run([
      external({ resolution: 'DNS', endpoints: twoVersions }),
      rule(versions),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'egress', labels: { 'istio.io/use-waypoint': 'waypoint' } },
        spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] },
      } as KubeObject,
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'web', namespace: 'egress' },
        spec: {
          hosts: ['web'],
          http: [{ route: [{ destination: { host: 'api.example.com', port: { number: 80 }, subset: 'v2' } }] }],
        },
      } as KubeObject,
    ]);
    const rc = byName(r, 'routes', 'inbound-vip|80|http|web.egress.svc.cluster.local');
    const first = (((rc?.virtualHosts as J[])[0] as J).routes as J[])[0] as J;
    assert.equal((first.route as J).cluster, 'outbound|80|v2|api.example.com');
    assert.deepEqual(placed(byName(r, 'clusters', 'outbound|80|v2|api.example.com')?.loadAssignment as J), [
      ['silver.example.net', 0],
    ]);
    assert.ok(byName(r, 'clusters', 'outbound|80||api.example.com'));
  });

  it('are built for ext_authz and access-log providers whose service is the host (telemetry_logging.go: LookupCluster; push_context.go: ExtraWaypointServices)', () => {
    const mesh = [
      'extensionProviders:',
      '- name: authz',
      '  envoyExtAuthzGrpc:',
      '    service: api.example.com',
      '    port: 443',
      '- name: als',
      '  envoyHttpAls:',
      '    service: ext/api.example.com',
      '    port: 80',
      'defaultProviders:',
      '  accessLogging: [als]',
      '',
    ].join('\n');
    const r = run([
      external({ resolution: 'DNS' }),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: 'istio-system' },
        data: { mesh },
      } as KubeObject,
      {
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'custom', namespace: 'egress' },
        spec: {
          targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
          action: 'CUSTOM',
          provider: { name: 'authz' },
          rules: [{}],
        },
      } as KubeObject,
    ]);
    assert.deepEqual(outboundNames(r), ['outbound|443||api.example.com', 'outbound|80||api.example.com']);
    // The gRPC provider's port is reached over HTTP/2.
    const grpc = byName(r, 'clusters', 'outbound|443||api.example.com');
    const options = (grpc?.typedExtensionProtocolOptions as J)[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ] as J;
    assert.ok((options.explicitHttpConfig as J).http2ProtocolOptions, JSON.stringify(options));
  });
});

describe('outbound clusters of a ServiceEntry host this waypoint serves', () => {
  /** A route on the waypoint's own entry sending to its own host. */
  const toItself: KubeObject = {
    ...route,
    spec: {
      parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'front' }],
      rules: [
        { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'front.example.com', port: 80 }] },
      ],
    },
  } as KubeObject;
  const front = (spec: J): KubeObject =>
    ({ ...base[3], spec: { ...(base[3] as { spec: J }).spec, ...spec } }) as KubeObject;

  it('are built, unused, for a mesh-external entry a route names: every port and subset (waypoint.go: filterWaypointOutboundServices, `!f || ws.MeshExternal`)', () => {
    const r = run([
      front({
        ports: [
          { number: 80, name: 'http', protocol: 'HTTP' },
          { number: 443, name: 'tls', protocol: 'TLS' },
        ],
      }),
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'front', namespace: 'egress' },
        spec: { host: 'front.example.com', subsets: [{ name: 'v1' }] },
      } as KubeObject,
      toItself,
    ]);
    // The route still sends to the waypoint's own cluster (getWaypointDestinationCluster).
    const rc = byName(r, 'routes', 'inbound-vip|80|http|front.example.com');
    const first = (((rc?.virtualHosts as J[])[0] as J).routes as J[])[0] as J;
    assert.equal((first.route as J).cluster, 'inbound-vip|80|http|front.example.com');
    assert.deepEqual(outboundNames(r).sort(), [
      'outbound|443|v1|front.example.com',
      'outbound|443||front.example.com',
      'outbound|80|v1|front.example.com',
      'outbound|80||front.example.com',
    ]);
    assert.equal(byName(r, 'clusters', 'outbound|80||front.example.com')?.type, 'STRICT_DNS');
  });

  it("are built for a VirtualService destination naming it from another of the waypoint's services", () => {
    const r = run([
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'egress', labels: { 'istio.io/use-waypoint': 'waypoint' } },
        spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80 }] },
      } as KubeObject,
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'web', namespace: 'egress' },
        spec: {
          hosts: ['web'],
          http: [{ route: [{ destination: { host: 'front.example.com', port: { number: 80 } } }] }],
        },
      } as KubeObject,
    ]);
    assert.deepEqual(outboundNames(r), ['outbound|80||front.example.com']);
  });

  it('are not built for a MESH_INTERNAL entry, nor when no route names the host', () => {
    assert.deepEqual(outboundNames(run([front({ location: 'MESH_INTERNAL' }), toItself])), []);
    assert.deepEqual(outboundNames(run([])), []);
  });
});

describe('an ext_authz provider naming a ServiceEntry host', () => {
  const policy: KubeObject = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'custom', namespace: 'egress' },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      action: 'CUSTOM',
      provider: { name: 'authz' },
      rules: [{}],
    },
  } as KubeObject;
  const meshWith = (service: string): KubeObject[] => [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: {
        mesh: `extensionProviders:\n- name: authz\n  envoyExtAuthzGrpc:\n    service: ${service}\n    port: 443\n`,
      },
    } as KubeObject,
  ];
  /** api.example.com declared in `ext` and in `other`, each with an address of its own. */
  const twice: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
    external({ resolution: 'STATIC', endpoints: [{ address: '192.0.2.1' }] }),
    {
      ...external({ resolution: 'STATIC', endpoints: [{ address: '192.0.2.9' }] }),
      metadata: { name: 'api', namespace: 'other' },
    } as KubeObject,
  ];

  it('takes the declaration of the namespace `<ns>/<host>` names (telemetry_logging.go: LookupCluster)', () => {
    const r = run([...twice, ...meshWith('other/api.example.com'), policy]);
    assert.deepEqual(placed(byName(r, 'endpoints', 'outbound|443||api.example.com')), [['192.0.2.9', 0]]);
  });

  it("resolves a Service host only under its own namespace's `<ns>/` (HostnameAndNamespace)", () => {
    const authz: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'authz', namespace: 'ext' },
      spec: { clusterIP: '10.96.0.90', ports: [{ name: 'grpc', port: 443 }] },
    } as KubeObject;
    const host = 'authz.ext.svc.cluster.local';
    assert.deepEqual(outboundNames(run([authz, ...meshWith(`ext/${host}`), policy])), [`outbound|443||${host}`]);
    assert.deepEqual(outboundNames(run([authz, ...meshWith(`egress/${host}`), policy])), []);
  });

  it('is unresolved when the host alone names several namespaces, or `<ns>/` a namespace without it', () => {
    assert.deepEqual(outboundNames(run([...twice, ...meshWith('api.example.com'), policy])), []);
    assert.deepEqual(outboundNames(run([...twice, ...meshWith('egress/api.example.com'), policy])), []);
  });
});
