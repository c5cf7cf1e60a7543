// ServiceEntries on a waypoint, as a waypoint Envoy and ztunnel receive them.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeMessage, TypeUrl } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll, type TranslateOptions } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'egress', labels: { 'istio.io/use-waypoint': 'waypoint' } },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  ...['egress', 'other'].map(
    (namespace) =>
      ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: 'waypoint', namespace },
        spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
      }) as KubeObject,
  ),
];

function entry(name: string, spec: J, extra: J = {}, namespace = 'egress'): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace, ...((extra.metadata as J) ?? {}) },
    spec: { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec },
    ...(extra.status ? { status: extra.status } : {}),
  } as KubeObject;
}

const allocated = (host: string, value: string) => ({ status: { addresses: [{ host, value }] } });

function run(objects: KubeObject[], opts: Partial<TranslateOptions> = {}) {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...base, ...objects].map((object) => ({ op: 'upsert' as const, object })),
  );
  const o = { ...DEFAULT_OPTIONS, ...opts, assumeReady: true };
  const result = translateAll(world, o);
  const out = result.waypoints.get('egress/waypoint');
  assert.ok(out, 'the egress waypoint is translated');
  const api = buildWorkloadApi(world, result.index, o);
  return { rendered: renderWaypoint(out) as unknown as Record<string, J[]>, api };
}

const cluster = (r: ReturnType<typeof run>, name: string) => r.rendered.clusters?.find((c) => c.name === name);

function mainInternal(r: ReturnType<typeof run>): J {
  const l = r.rendered.listeners?.find((x) => x.name === 'main_internal');
  assert.ok(l);
  return l;
}

/** The destination ranges main_internal sends to a host's chains, as `ip/len`. */
function rangesOf(r: ReturnType<typeof run>, host: string): string[] {
  const m = mainInternal(r).filterChainMatcher as J;
  const ip = ((m.matcherTree as J).customMatch as J).typedConfig as { rangeMatchers: J[] };
  const out: string[] = [];
  for (const rm of ip.rangeMatchers) {
    if (!JSON.stringify(rm.onMatch).includes(`|${host}`)) continue;
    for (const x of rm.ranges as { addressPrefix: string; prefixLen: number }[])
      out.push(`${x.addressPrefix}/${x.prefixLen}`);
  }
  return out.sort();
}

/** The addresses ztunnel is told a host has. */
function announced(r: ReturnType<typeof run>, key: string): string[] {
  const a = r.api.get(TypeUrl.Address)!.find((x) => x.name === key);
  assert.ok(a, `${key} is announced`);
  return decodeMessage('istio.workload.Address', a.body).service!.addresses.map(
    (n) => `${[...n.address].join('.')}/32`,
  );
}

describe('ServiceEntries served by a waypoint', () => {
  it('match on the same addresses ztunnel is told, own or allocated (services.go: constructServiceEntries; service.go: getAllAddressesForProxy)', () => {
    const r = run([
      entry('own', { hosts: ['own.example.com'], addresses: ['240.0.0.1'], resolution: 'STATIC' }),
      entry('alloc', { hosts: ['alloc.example.com'], resolution: 'DNS' }, allocated('alloc.example.com', '240.0.0.2')),
      entry(
        'wild',
        { hosts: ['*.wild.example.com'], resolution: 'DYNAMIC_DNS' },
        allocated('*.wild.example.com', '240.0.0.3'),
      ),
    ]);
    for (const [key, host] of [
      ['egress/own.example.com', 'own.example.com'],
      ['egress/alloc.example.com', 'alloc.example.com'],
      ['egress/*.wild.example.com', '*.wild.example.com'],
    ] as const) {
      assert.deepEqual(rangesOf(r, host), announced(r, key), host);
      assert.equal(announced(r, key).length, 1, host);
    }
  });

  it('ignore allocated addresses when the entry opts out or resolves NONE, and then match only 0.0.0.0 (ip_autoallocation.go: ShouldV2AutoAllocateIP)', () => {
    const r = run([
      entry(
        'out',
        { hosts: ['out.example.com'], resolution: 'DNS' },
        {
          metadata: { labels: { 'networking.istio.io/enable-autoallocate-ip': 'false' } },
          ...allocated('out.example.com', '240.0.0.4'),
        },
      ),
      entry('none', { hosts: ['none.example.com'], resolution: 'NONE' }, allocated('none.example.com', '240.0.0.5')),
    ]);
    for (const host of ['out.example.com', 'none.example.com']) {
      assert.deepEqual(announced(r, `egress/${host}`), [], host);
      assert.deepEqual(rangesOf(r, host), ['0.0.0.0/32'], host);
    }
  });

  it('tell ztunnel each port protocol (workloads.go: toAppProtocolFromProtocol)', () => {
    const r = run([
      entry('p', {
        hosts: ['p.example.com'],
        addresses: ['240.0.0.6'],
        ports: [
          { number: 80, name: 'http', protocol: 'HTTP' },
          { number: 443, name: 'tls', protocol: 'TLS' },
          { number: 9000, name: 'x', protocol: 'MONGO' },
        ],
      }),
    ]);
    const a = r.api.get(TypeUrl.Address)!.find((x) => x.name === 'egress/p.example.com')!;
    const ports = decodeMessage('istio.workload.Address', a.body).service!.ports;
    assert.deepEqual(
      ports.map((p) => p.app_protocol ?? 'UNKNOWN'),
      ['HTTP11', 'TLS', 'UNKNOWN'],
    );
  });

  it('resolve NONE to the dialled address, on the targetPort when set (cluster.go: convertResolution, buildCluster PassthroughTargetPorts)', () => {
    const r = run([
      entry('pt', {
        hosts: ['pt.example.com'],
        addresses: ['10.10.0.0/16'],
        resolution: 'NONE',
        ports: [{ number: 80, name: 'http', protocol: 'HTTP', targetPort: 8080 }],
      }),
    ]);
    const c = cluster(r, 'inbound-vip|80|http|pt.example.com');
    assert.equal(c?.type, 'ORIGINAL_DST');
    assert.equal(c?.lbPolicy, 'CLUSTER_PROVIDED');
    assert.equal((c?.originalDstLbConfig as J).upstreamPortOverride, 8080);
    assert.deepEqual(rangesOf(r, 'pt.example.com'), ['10.10.0.0/16']);
    // ztunnel: the same range, and its traffic passed through (services.go: constructServiceEntries; helpers.go: toNetworkAddressFromCidr).
    const a = r.api.get(TypeUrl.Address)!.find((x) => x.name === 'egress/pt.example.com')!;
    const svc = decodeMessage('istio.workload.Address', a.body).service!;
    assert.deepEqual(
      svc.addresses.map((n) => `${[...n.address].join('.')}/${n.length}`),
      ['10.10.0.0/16'],
    );
    assert.equal(svc.load_balancing?.mode, 'PASSTHROUGH');
    assert.equal(svc.load_balancing?.health_policy, 'ALLOW_ALL');
  });

  it('race every address family under RACE_FIRST_TCP_CONNECT: LOGICAL_DNS, ALL (cluster.go: convertResolution; cluster_builder.go: buildCluster)', () => {
    const r = run([
      entry(
        'race',
        { hosts: ['race.example.com'], resolution: 'DNS' },
        { metadata: { annotations: { 'networking.istio.io/dns-connect-strategy': 'RACE_FIRST_TCP_CONNECT' } } },
      ),
    ]);
    const c = cluster(r, 'inbound-vip|80|http|race.example.com');
    assert.equal(c?.type, 'LOGICAL_DNS');
    assert.equal(c?.dnsLookupFamily, 'ALL');
  });

  it('serve a wildcard TLS port only with ENABLE_WILDCARD_HOST_SERVICE_ENTRIES_FOR_TLS, resolved by SNI (listener_waypoint.go: buildWaypointInternal; networkfilter.go: buildSNIDFPFilter)', () => {
    const tls = entry(
      'tls',
      {
        hosts: ['*.tls.example.com'],
        resolution: 'DYNAMIC_DNS',
        ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
      },
      allocated('*.tls.example.com', '240.0.0.7'),
    );
    const name = 'inbound-vip|443|tcp|*.tls.example.com';
    const chainOf = (r: ReturnType<typeof run>) =>
      (mainInternal(r).filterChains as J[]).find((f) => f.name === name) as { filters: J[] } | undefined;
    const off = run([tls]);
    assert.equal(chainOf(off), undefined, 'no chain by default');
    assert.equal(cluster(off, name), undefined, 'no cluster by default');
    const on = run([tls], { wildcardTlsServiceEntries: true });
    const filters = chainOf(on)!.filters.map((f) => f.name);
    assert.deepEqual(filters.slice(-2), [
      'envoy.filters.network.sni_dynamic_forward_proxy',
      'envoy.filters.network.tcp_proxy',
    ]);
    const sni = chainOf(on)!.filters.find((f) => f.name === 'envoy.filters.network.sni_dynamic_forward_proxy')!;
    assert.equal(((sni.typedConfig as J).dnsCacheConfig as J).name, '*.tls.example.com_dfp_dns_cache');
    assert.equal((cluster(on, name)?.clusterType as J).name as string, 'envoy.clusters.dynamic_forward_proxy');
  });

  it('route a Hostname backend served by another waypoint to its outbound cluster, built by resolution (listener_waypoint.go: getWaypointDestinationCluster)', () => {
    const r = run([
      entry('local', { hosts: ['local.example.com'], addresses: ['240.0.0.8'], resolution: 'DNS' }),
      entry(
        'far',
        { hosts: ['far.example.com'], resolution: 'DNS' },
        { metadata: { labels: { 'istio.io/use-waypoint': 'waypoint' } } },
        'other',
      ),
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: 'to-far', namespace: 'egress' },
        spec: {
          parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'local' }],
          rules: [
            { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'far.example.com', port: 80 }] },
          ],
        },
      } as KubeObject,
    ]);
    const rc = r.rendered.routes?.find((x) => x.name === 'inbound-vip|80|http|local.example.com');
    const routes = ((rc?.virtualHosts as J[])[0] as J).routes as J[];
    assert.equal(((routes[0] as J).route as J).cluster, 'outbound|80||far.example.com');
    const far = cluster(r, 'outbound|80||far.example.com');
    assert.equal(far?.type, 'STRICT_DNS', 'built as its own waypoint builds it');
    // A mesh-external host (location unset: MESH_EXTERNAL) is flagged, as applyDestinationRule flags it.
    assert.deepEqual(((far?.metadata as J).filterMetadata as J).istio, {
      external: true,
      services: [{ host: 'far.example.com', name: 'far.example.com', namespace: 'other' }],
    });
    assert.deepEqual(
      (far?.filters as J[]).map((f) => f.name),
      ['istio.metadata_exchange'],
    );
  });

  it('apply a TCPRoute whose parent is the entry to its TCP chain (route_collections.go: TCPRouteCollection, vsHosts = the entry hosts)', () => {
    const r = run([
      entry('db', {
        hosts: ['db.example.com'],
        addresses: ['240.0.0.11'],
        resolution: 'DNS',
        ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }],
      }),
      entry('db2', {
        hosts: ['db2.example.com'],
        addresses: ['240.0.0.12'],
        resolution: 'DNS',
        ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }],
      }),
      {
        apiVersion: 'gateway.networking.k8s.io/v1alpha2',
        kind: 'TCPRoute',
        metadata: { name: 'db', namespace: 'egress' },
        spec: {
          parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'db' }],
          rules: [
            { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'db2.example.com', port: 5432 }] },
          ],
        },
      } as KubeObject,
    ]);
    const chain = (mainInternal(r).filterChains as J[]).find(
      (f) => f.name === 'inbound-vip|5432|tcp|db.example.com',
    ) as {
      filters: J[];
    };
    const proxy = chain.filters.find((f) => f.name === 'envoy.filters.network.tcp_proxy')!;
    assert.equal((proxy.typedConfig as J).cluster, 'inbound-vip|5432|tcp|db2.example.com');
  });

  it('serve a host two entries declare once, from the first by namespace/name (cluster_waypoint.go: services keyed by hostname)', () => {
    const r = run([
      entry('a', { hosts: ['dup.example.com'], addresses: ['240.0.0.9'], resolution: 'DNS' }),
      entry('b', { hosts: ['dup.example.com'], addresses: ['240.0.0.10'], resolution: 'STATIC' }),
    ]);
    const named = r.rendered.clusters?.filter((c) => c.name === 'inbound-vip|80|http|dup.example.com') ?? [];
    assert.equal(named.length, 1);
    assert.equal(named[0]?.type, 'STRICT_DNS');
  });
});
