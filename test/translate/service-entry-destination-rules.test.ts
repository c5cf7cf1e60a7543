// DestinationRules for ServiceEntry hosts a waypoint serves: what they change
// on the entry's chains besides the clusters (hash policies, tcp_proxy), and
// the clusters of DNS entries (subsets, locality priorities).
import { strict as assert } from 'node:assert';
import { waypointInZone } from '../support/waypoint-pod';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'egress' } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'egress' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
];

function entry(name: string, spec: J): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'egress', labels: { 'istio.io/use-waypoint': 'waypoint' } },
    spec: { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec },
  } as KubeObject;
}

function rule(host: string, spec: J): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: host.split('.')[0], namespace: 'egress' },
    spec: { host, ...spec },
  } as KubeObject;
}

function run(objects: KubeObject[]): Record<string, J[]> {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...base, ...objects].map((object) => ({ op: 'upsert' as const, object })),
  );
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('egress/waypoint');
  assert.ok(out, 'the waypoint is translated');
  return renderWaypoint(out) as unknown as Record<string, J[]>;
}

const byName = (r: Record<string, J[]>, kind: string, name: string) => r[kind]?.find((x) => x.name === name);

/** The first route of a route configuration. */
function firstRoute(r: Record<string, J[]>, name: string): J {
  const rc = byName(r, 'routes', name);
  assert.ok(rc, `route configuration ${name}`);
  return ((rc.virtualHosts as J[])[0]?.routes as J[])[0]?.route as J;
}

describe('a consistent-hash DestinationRule for a ServiceEntry host on its waypoint', () => {
  it("hashes the entry's default route like a Service's (httproute.go: buildSidecarInboundHTTPRouteConfig; route.go: ConsistentHashToHashPolicy)", () => {
    const r = run([
      entry('api', { hosts: ['api.example.com'], addresses: ['240.240.0.10'], resolution: 'DNS' }),
      rule('api.example.com', { trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } }),
    ]);
    assert.deepEqual(firstRoute(r, 'inbound-vip|80|http|api.example.com').hashPolicy, [
      { header: { headerName: 'x-user' } },
    ]);
    assert.equal(byName(r, 'clusters', 'inbound-vip|80|http|api.example.com')?.lbPolicy, 'RING_HASH');
  });

  it("hashes each route backend by its host's rule (route.go: HashForHTTPDestination)", () => {
    const r = run([
      entry('shop', {
        hosts: ['shop.example.com'],
        addresses: ['240.240.0.11'],
        resolution: 'STATIC',
        endpoints: [{ address: '192.0.2.1' }],
      }),
      rule('shop.example.com', {
        trafficPolicy: { loadBalancer: { consistentHash: { httpQueryParameterName: 'q', maglev: {} } } },
      }),
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'shop', namespace: 'egress' },
        spec: {
          parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'shop' }],
          rules: [
            { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'shop.example.com', port: 80 }] },
          ],
        },
      } as KubeObject,
    ]);
    const route = firstRoute(r, 'inbound-vip|80|http|shop.example.com');
    assert.equal(route.cluster, 'inbound-vip|80|http|shop.example.com');
    assert.deepEqual(route.hashPolicy, [{ queryParameter: { name: 'q' } }]);
    assert.equal(byName(r, 'clusters', 'inbound-vip|80|http|shop.example.com')?.lbPolicy, 'MAGLEV');
  });

  it("sets tcp_proxy's source-IP hash and idle timeout on a TCP port (listener_waypoint.go: buildWaypointNetworkFilters)", () => {
    const r = run([
      entry('db', {
        hosts: ['db.example.com'],
        addresses: ['240.240.0.12'],
        resolution: 'DNS',
        ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }],
      }),
      rule('db.example.com', {
        trafficPolicy: {
          connectionPool: { tcp: { idleTimeout: '5m' } },
          loadBalancer: { consistentHash: { useSourceIp: true } },
        },
      }),
    ]);
    const main = byName(r, 'listeners', 'main_internal');
    const chain = (main?.filterChains as J[]).find((c) => c.name === 'inbound-vip|5432|tcp|db.example.com');
    const proxy = (chain?.filters as J[]).find((f) => f.name === 'envoy.filters.network.tcp_proxy');
    const cfg = proxy?.typedConfig as J;
    assert.deepEqual(cfg.hashPolicy, [{ sourceIp: {} }]);
    assert.equal(cfg.idleTimeout, '300s');
  });
});

/** The addresses of a cluster's inline endpoints, with each locality group's priority. */
function inline(c: J | undefined): [string, number][] {
  const groups = ((c?.loadAssignment as J | undefined)?.endpoints ?? []) as J[];
  return groups.flatMap((g) =>
    (g.lbEndpoints as J[]).map(
      (e) =>
        [
          ((e.endpoint as J).address as { socketAddress: { address: string } }).socketAddress.address,
          g.priority ?? 0,
        ] as [string, number],
    ),
  );
}

describe('a DestinationRule with subsets for a DNS ServiceEntry host on its waypoint', () => {
  const zoned = waypointInZone({ tier: 'gold' });
  const api = entry('api', {
    hosts: ['api.example.com'],
    addresses: ['240.240.0.10'],
    resolution: 'DNS',
    endpoints: [
      { address: 'far.example.net', locality: 'r2/z1', labels: { version: 'v1', tier: 'gold' } },
      { address: 'near.example.net', locality: 'r1/z1', labels: { version: 'v2', tier: 'silver' } },
    ],
  });

  it('builds a cluster per subset with every endpoint of the port, as NewCDSEndpointBuilder without the rule does (cluster_waypoint.go: buildWaypointInboundVIPCluster)', () => {
    const r = run([
      api,
      rule('api.example.com', {
        subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }],
      }),
    ]);
    const v1 = byName(r, 'clusters', 'inbound-vip|80|http/v1|api.example.com');
    assert.equal(v1?.type, 'STRICT_DNS');
    assert.equal(v1?.lbPolicy, 'RANDOM');
    assert.deepEqual(((v1?.metadata as J).filterMetadata as J).istio, {
      services: [{ host: 'api.example.com', name: 'api.example.com', namespace: 'egress' }],
      config: '/apis/networking.istio.io/v1/namespaces/egress/destination-rule/api',
      subset: 'http/v1',
    });
    assert.deepEqual(
      inline(v1)
        .map(([a]) => a)
        .sort(),
      ['far.example.net', 'near.example.net'],
    );
  });

  it("ranks the inline endpoints by the waypoint's locality under outlier detection (loadbalancer.go: ApplyLocalityLoadBalancer)", () => {
    const r = run([
      ...zoned,
      api,
      rule('api.example.com', {
        trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } },
        subsets: [{ name: 'v1', labels: { version: 'v1' } }],
      }),
    ]);
    for (const name of ['inbound-vip|80|http|api.example.com', 'inbound-vip|80|http/v1|api.example.com'])
      assert.deepEqual(
        inline(byName(r, 'clusters', name)),
        [
          ['near.example.net', 0],
          ['far.example.net', 1],
        ],
        name,
      );
  });

  it('ranks nothing by failoverPriority there: applyFailoverPriorities has no wrapped endpoints for an inline assignment', () => {
    const r = run([
      ...zoned,
      api,
      rule('api.example.com', {
        trafficPolicy: {
          outlierDetection: { consecutive5xxErrors: 3 },
          loadBalancer: { localityLbSetting: { failoverPriority: ['tier'] } },
        },
      }),
    ]);
    // By tier, far (gold, as the waypoint) would come first; the assignment is left as built.
    assert.deepEqual(inline(byName(r, 'clusters', 'inbound-vip|80|http|api.example.com')), [
      ['near.example.net', 0],
      ['far.example.net', 0],
    ]);
  });

  it('leaves a DYNAMIC_DNS cluster its CLUSTER_PROVIDED balancing under a consistent hash, subsets included', () => {
    const r = run([
      entry('wild', { hosts: ['*.wild.example.com'], resolution: 'DYNAMIC_DNS' }),
      rule('*.wild.example.com', {
        trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
        subsets: [{ name: 'blue', labels: { color: 'blue' } }],
      }),
    ]);
    for (const name of ['inbound-vip|80|http|*.wild.example.com', 'inbound-vip|80|http/blue|*.wild.example.com'])
      assert.equal(byName(r, 'clusters', name)?.lbPolicy, 'CLUSTER_PROVIDED', name);
  });
});

describe('a ServiceEntry host no DestinationRule names', () => {
  it("takes the mesh config's locality distribution, on a DNS cluster's inline endpoints too (loadbalancer.go: GetEffectiveLbSetting)", () => {
    const r = run([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'istio', namespace: 'istio-system' },
        data: { mesh: 'localityLbSetting:\n  distribute:\n  - from: r1/*\n    to: {"r1/*": 80, "r2/*": 20}\n' },
      } as KubeObject,
      ...waypointInZone(),
      entry('api', {
        hosts: ['api.example.com'],
        addresses: ['240.240.0.10'],
        resolution: 'DNS',
        endpoints: [
          { address: 'near.example.net', locality: 'r1/z1' },
          { address: 'far.example.net', locality: 'r2/z1' },
        ],
      }),
    ]);
    const c = byName(r, 'clusters', 'inbound-vip|80|http|api.example.com');
    const weights = ((c?.loadAssignment as J).endpoints as J[]).map((g) => g.loadBalancingWeight);
    assert.deepEqual(weights, [80, 20]);
    assert.deepEqual((c?.commonLbConfig as J).localityWeightedLbConfig, {});
  });
});
