// Each field of the waypoint data path, checked against the istiod function
// it follows (named in the test). The scenario is built from manifests, so
// the ambient index decides what is bound, as in a cluster.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject, type ServicePort } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { istioProtocol } from '../../src/translate/services';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const ns = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'istio.io/dataplane-mode': 'ambient' } },
});

const waypointGw: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'app', labels: { 'istio.io/waypoint-for': 'all' } },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  status: { addresses: [{ type: 'IPAddress', value: '10.96.100.1' }] },
};

function service(name: string, ip: string, ports: ServicePort[], labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'app', labels: { 'istio.io/use-waypoint': 'waypoint', ...labels } },
    spec: { clusterIP: ip, selector: { app: name }, ports },
  } as KubeObject;
}

function pod(name: string, app: string, ip: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'app', labels: { app, ...labels } },
    spec: { nodeName: 'n1', serviceAccountName: app },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  } as KubeObject;
}

function translate(objects: KubeObject[]) {
  const { world } = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  );
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(out, 'the waypoint is translated');
  const of = (type: string) =>
    new Map((out.resources.get(type) ?? []).map((r) => [r.name, toProtoJson(r.messageName, r.body) as J]));
  return {
    clusters: of(TypeUrl.Cluster),
    listeners: of(TypeUrl.Listener),
    endpoints: of(TypeUrl.Endpoint),
    ir: out.ir,
  };
}

/** What Envoy's matcher tree picks for a connection, or undefined when nothing matches (the connection closes). */
function pick(m: J | undefined, conn: { ip: string; port: number; alpn?: string; sni?: string }): string | undefined {
  if (!m) return undefined;
  const onMatch = (o: J | undefined): string | undefined =>
    o === undefined ? undefined : o.action ? o.action.typedConfig.value : pick(o.matcher, conn);
  const tree = m.matcherTree;
  const input = tree.input.typedConfig['@type'] as string;
  let hit: J | undefined;
  if (tree.customMatch) {
    // An IPMatcher with exact host ranges only (what we emit).
    hit = tree.customMatch.typedConfig.rangeMatchers.find((r: J) =>
      r.ranges.some((c: J) => c.addressPrefix === conn.ip),
    )?.onMatch;
  } else {
    const value = input.endsWith('DestinationPortInput')
      ? String(conn.port)
      : input.endsWith('ApplicationProtocolInput')
        ? conn.alpn
          ? `'${conn.alpn}'`
          : ''
        : input.endsWith('ServerNameInput')
          ? (conn.sni ?? '')
          : undefined;
    assert.notEqual(value, undefined, `unexpected matcher input ${input}`);
    hit = tree.exactMatchMap.map[value as string];
  }
  return onMatch(hit ?? m.onNoMatch);
}

const httpbin = service('httpbin', '10.96.0.10', [
  { name: 'http', port: 8000, targetPort: 80 },
  { name: 'grpc', port: 8100, targetPort: 81 },
  { name: 'web', port: 9000, targetPort: 9000 },
]);
const db = service('db', '10.96.0.20', [{ name: 'tcp-db', port: 5432 }]);
const bound = pod('httpbin-1', 'httpbin', '10.244.0.5', { 'istio.io/use-waypoint': 'waypoint' });
const unbound = pod('db-1', 'db', '10.244.0.9');
const scenario = () => translate([ns('app'), waypointGw, httpbin, db, bound, unbound]);

describe('waypoint data path, field by field against istiod', () => {
  const { clusters, listeners, endpoints, ir } = scenario();

  it('main_internal and encap reach their internal listeners over internal_upstream with passthrough HTTP (cluster_waypoint.go: buildInternalUpstreamCluster, GetMainInternalCluster, GetEncapCluster)', () => {
    for (const [name, listener] of [
      ['main_internal', 'main_internal'],
      ['encap', 'connect_originate'],
    ] as const) {
      const c = clusters.get(name)!;
      assert.equal(c.type, 'STATIC');
      assert.equal(c.altStatName, `${name};`, 'util.go: DelimitedStatsPrefix');
      assert.equal(
        c.loadAssignment.endpoints[0].lbEndpoints[0].endpoint.address.envoyInternalAddress.serverListenerName,
        listener,
      );
      assert.equal(c.transportSocket.name, 'internal_upstream');
      assert.equal(c.transportSocket.typedConfig.transportSocket.name, 'raw_buffer');
      assert.equal(
        c.transportSocket.typedConfig.passthroughMetadata,
        undefined,
        'DefaultInternalUpstreamTransportSocket passes nothing',
      );
      const opts = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
      assert.ok(opts.useDownstreamProtocolConfig, 'cluster_builder.go: passthroughHttpProtocolOptions');
      assert.equal(opts.commonHttpProtocolOptions.idleTimeout, '300s');
    }
  });

  it('connect_originate dials 15008 of the metadata waypoint or original destination, mTLS to the trust domain only (cluster_waypoint.go: buildWaypointConnectOriginate, buildConnectOriginate)', () => {
    const c = clusters.get('connect_originate')!;
    assert.equal(c.type, 'ORIGINAL_DST');
    assert.equal(c.cleanupInterval, '60s');
    assert.deepEqual(c.originalDstLbConfig, {
      upstreamPortOverride: 15008,
      metadataKey: { key: 'envoy.filters.listener.original_dst', path: [{ key: 'waypoint' }] },
    });
    const v = c.transportSocket.typedConfig.commonTlsContext.combinedValidationContext;
    assert.deepEqual(
      v.defaultValidationContext.matchTypedSubjectAltNames.map((m: J) => [m.sanType, m.matcher.prefix]),
      [
        ['URI', 'spiffe://cluster.local/'],
        ['URI', 'spiffe://cluster.local/ns/app/sa/'],
      ],
    );
    assert.equal(v.validationContextSdsSecretConfig.name, 'ROOTCA');
    const h2 = c.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    assert.equal(
      h2.explicitHttpConfig.http2ProtocolOptions.allowConnect,
      true,
      'cluster_waypoint.go: h2connectUpgrade',
    );
  });

  it('connect_originate takes the destination from original_dst and does not redirect (listener_waypoint.go: buildConnectOriginateListener)', () => {
    const l = listeners.get('connect_originate')!;
    assert.deepEqual(
      l.listenerFilters.map((f: J) => f.name),
      ['envoy.filters.listener.original_dst'],
    );
    assert.equal(l.useOriginalDst, false);
    assert.equal(l.filterChains[0].filters[0].typedConfig.tunnelingConfig.hostname, '%DOWNSTREAM_LOCAL_ADDRESS%');
  });

  it('main_internal serves VIPs and bound workload IPs only: anything else is closed (listener_waypoint.go: buildWaypointInternal)', () => {
    const l = listeners.get('main_internal')!;
    assert.equal(l.trafficDirection, 'INBOUND');
    assert.equal(l.useOriginalDst, undefined);
    const m = l.filterChainMatcher;
    assert.equal(pick(m, { ip: '10.96.0.10', port: 8000 }), 'inbound-vip|8000|http|httpbin.app.svc.cluster.local');
    assert.equal(
      pick(m, { ip: '10.96.0.10', port: 9000, alpn: 'http/1.1' }),
      'inbound-vip|9000|http|httpbin.app.svc.cluster.local',
    );
    assert.equal(pick(m, { ip: '10.96.0.10', port: 9000 }), 'inbound-vip|9000|tcp|httpbin.app.svc.cluster.local');
    assert.equal(pick(m, { ip: '10.96.0.10', port: 1234 }), undefined, 'a port the service does not have');
    assert.equal(pick(m, { ip: '10.244.0.5', port: 80, alpn: 'h2c' }), 'direct-http', 'a bound pod');
    assert.equal(pick(m, { ip: '10.244.0.5', port: 3306 }), 'direct-tcp', 'a bound pod, any port');
    assert.equal(pick(m, { ip: '10.244.0.9', port: 5432 }), undefined, 'a pod not bound to this waypoint');
    assert.equal(pick(m, { ip: '1.1.1.1', port: 443 }), undefined, 'an address outside the mesh: no open relay');
    assert.deepEqual(ir.workloadIps, ['10.244.0.5']);
  });

  it('HTTP/1.0 is not sniffed as HTTP by default (match.go: NewAppProtocol, PILOT_HTTP10 off)', () => {
    const m = listeners.get('main_internal')!.filterChainMatcher;
    assert.equal(pick(m, { ip: '10.244.0.5', port: 80, alpn: 'http/1.0' }), 'direct-tcp');
  });

  it('keeps http_inspector on every port while workloads are bound, and disables it on unsniffed ports when none are (listener_waypoint.go: buildWaypointInternal)', () => {
    const withWorkloads = listeners.get('main_internal')!.listenerFilters;
    assert.deepEqual(
      withWorkloads.map((f: J) => f.name),
      ['envoy.filters.listener.original_dst', 'envoy.filters.listener.http_inspector'],
    );
    assert.equal(withWorkloads[1].filterDisabled, undefined);
    const none = translate([ns('app'), waypointGw, httpbin, db, unbound]).listeners.get('main_internal')!;
    const disabled = none.listenerFilters[1].filterDisabled.orMatch.rules.map((r: J) => r.destinationPortRange);
    assert.deepEqual(disabled, [
      { start: 5432, end: 5433 },
      { start: 8000, end: 8001 },
      { start: 8100, end: 8101 },
    ]);
  });

  it('adds tls_inspector when a port is TLS, disabled on the others (listener_waypoint.go: buildWaypointInternal)', () => {
    assert.equal(listeners.get('main_internal')!.listenerFilters.length, 2, 'no TLS port: no tls_inspector');
    const tls = service('api', '10.96.0.30', [
      { name: 'https', port: 443 },
      { name: 'http', port: 80 },
    ]);
    const l = translate([ns('app'), waypointGw, tls]).listeners.get('main_internal')!;
    const inspector = l.listenerFilters.find((f: J) => f.name === 'envoy.filters.listener.tls_inspector');
    assert.ok(inspector);
    assert.equal(inspector.typedConfig.initialReadBufferSize, 512, 'filters.go: TLSInspector');
    assert.deepEqual(inspector.filterDisabled.destinationPortRange, { start: 80, end: 81 });
  });

  it('gives every service cluster istiod defaults (cluster_traffic_policy.go: getDefaultCircuitBreakerThresholds, applyLoadBalancer; cluster_builder.go: maybeApplyEdsConfig, setUpstreamProtocol)', () => {
    const http = clusters.get('inbound-vip|8000|http|httpbin.app.svc.cluster.local')!;
    assert.equal(http.lbPolicy, 'LEAST_REQUEST');
    // Percent{value: 0} is an empty message on the wire (as istiod's); it is set, so panic routing is off.
    assert.equal(http.commonLbConfig.healthyPanicThreshold.value ?? 0, 0);
    assert.equal(http.edsClusterConfig.serviceName, http.name);
    assert.equal(http.edsClusterConfig.edsConfig.initialFetchTimeout, '0s');
    assert.deepEqual(http.metadata.filterMetadata.istio.services, [
      { host: 'httpbin.app.svc.cluster.local', name: 'httpbin', namespace: 'app' },
    ]);
    assert.equal(http.typedExtensionProtocolOptions, undefined, 'plain HTTP/1 upstream');
    const grpc = clusters.get('inbound-vip|8100|http|httpbin.app.svc.cluster.local')!;
    assert.ok(
      grpc.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicitHttpConfig
        .http2ProtocolOptions,
    );
    const sniffed = clusters.get('inbound-vip|9000|tcp|httpbin.app.svc.cluster.local')!;
    assert.ok(
      sniffed.typedExtensionProtocolOptions['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']
        .useDownstreamProtocolConfig,
    );
    const passthrough = http.transportSocket.typedConfig.passthroughMetadata.map((p: J) => p.name);
    assert.deepEqual(
      passthrough,
      ['envoy.filters.listener.original_dst', 'istio'],
      'WaypointInternalUpstreamTransportSocket',
    );
    const max = 4294967295;
    for (const [name, c] of clusters) {
      assert.deepEqual(
        c.circuitBreakers?.thresholds,
        [{ maxConnections: max, maxPendingRequests: max, maxRequests: max, maxRetries: max, trackRemaining: true }],
        `${name} has istiod's default circuit breakers`,
      );
    }
  });

  it('weighs each locality by the sum of its endpoints (endpoint_builder.go: BuildClusterLoadAssignment)', () => {
    const two = translate([ns('app'), waypointGw, httpbin, bound, pod('httpbin-2', 'httpbin', '10.244.0.6')]).endpoints;
    const cla = two.get('inbound-vip|8000|http|httpbin.app.svc.cluster.local')!;
    assert.equal(cla.endpoints.length, 1);
    assert.equal(cla.endpoints[0].lbEndpoints.length, 2);
    assert.equal(cla.endpoints[0].loadBalancingWeight, 2);
    assert.ok(endpoints.get('inbound-vip|8000|http|httpbin.app.svc.cluster.local'));
  });

  it("takes an endpoint's locality from its pod's locality labels (pkg/model/proxy.go: GetLocalityLabel, SanitizeLocalityLabel)", () => {
    const located = translate([
      ns('app'),
      waypointGw,
      httpbin,
      pod('httpbin-2', 'httpbin', '10.244.0.6', { 'istio-locality': 'us-east1.us-east1-b' }),
      pod('httpbin-3', 'httpbin', '10.244.0.7', {
        'topology.istio.io/locality': 'eu/eu-a/rack1',
        'istio-locality': 'x.y',
      }),
    ]).endpoints.get('inbound-vip|8000|http|httpbin.app.svc.cluster.local')!;
    const byIp = new Map<string, J>();
    for (const g of located.endpoints as J[])
      for (const e of g.lbEndpoints) byIp.set(e.endpoint.address.envoyInternalAddress.endpointId, g.locality);
    assert.deepEqual(byIp.get('10.244.0.6:80'), { region: 'us-east1', zone: 'us-east1-b' });
    assert.deepEqual(byIp.get('10.244.0.7:80'), { region: 'eu', zone: 'eu-a', subZone: 'rack1' });
  });

  it("falls back to the pod's node's topology labels, GA before beta, when the pod has no locality label (kube/controller/controller.go: getPodLocality; util.go: getLabelValue)", () => {
    const node = (name: string, labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name, labels },
    });
    const onNode = (o: KubeObject, nodeName: string) =>
      ({ ...o, spec: { ...(o.spec as object), nodeName } }) as KubeObject;
    const located = translate([
      ns('app'),
      waypointGw,
      httpbin,
      node('n1', {
        'topology.kubernetes.io/region': 'us-west1',
        'failure-domain.beta.kubernetes.io/region': 'old',
        'topology.kubernetes.io/zone': 'us-west1-a',
        'topology.istio.io/subzone': 'rack7',
      }),
      node('n2', { 'failure-domain.beta.kubernetes.io/region': 'r2', 'failure-domain.beta.kubernetes.io/zone': 'z2' }),
      node('n3', { 'kubernetes.io/hostname': 'n3' }),
      pod('httpbin-2', 'httpbin', '10.244.0.6'),
      pod('httpbin-3', 'httpbin', '10.244.0.7', { 'topology.istio.io/locality': 'eu.eu-a' }),
      onNode(pod('httpbin-4', 'httpbin', '10.244.0.8'), 'n2'),
      onNode(pod('httpbin-5', 'httpbin', '10.244.0.9'), 'n3'),
      onNode(pod('httpbin-6', 'httpbin', '10.244.0.10'), 'absent'),
    ]).endpoints.get('inbound-vip|8000|http|httpbin.app.svc.cluster.local')!;
    const byIp = new Map<string, J>();
    for (const g of located.endpoints as J[])
      for (const e of g.lbEndpoints) byIp.set(e.endpoint.address.envoyInternalAddress.endpointId, g.locality);
    assert.deepEqual(byIp.get('10.244.0.6:80'), { region: 'us-west1', zone: 'us-west1-a', subZone: 'rack7' });
    assert.deepEqual(byIp.get('10.244.0.7:80'), { region: 'eu', zone: 'eu-a' }, 'the pod label wins over the node');
    assert.deepEqual(byIp.get('10.244.0.8:80'), { region: 'r2', zone: 'z2' }, 'beta labels when GA are unset');
    // No topology labels, or no such node: no locality.
    assert.deepEqual(byIp.get('10.244.0.9:80'), {});
    assert.deepEqual(byIp.get('10.244.0.10:80'), {});
    assert.equal(byIp.size, 5);
  });

  it('configures the HCM as istiod does by default (listener_builder.go: buildHTTPConnectionManager; tracing.go: configureTracingFromTelemetry; uuid_extension.go)', () => {
    const chains = listeners.get('main_internal')!.filterChains;
    const hcmOf = (name: string) =>
      chains
        .find((c: J) => c.name === name)
        .filters.find((f: J) => f.name === 'envoy.filters.network.http_connection_manager').typedConfig;
    const h = hcmOf('inbound-vip|8000|http|httpbin.app.svc.cluster.local');
    assert.equal(h.mergeSlashes, undefined, 'path normalization DEFAULT does not merge slashes');
    assert.equal(h.normalizePath, true);
    assert.equal(h.pathWithEscapedSlashesAction, 'KEEP_UNCHANGED');
    assert.equal(h.requestIdExtension.typedConfig.useRequestIdForTraceSampling, true);
    assert.equal(h.tracing.randomSampling.value, 1, 'PILOT_TRACE_SAMPLING default');
    assert.equal(h.tracing.overallSampling.value, 100);
    const tags = h.tracing.customTags.map((t: J) => t.tag);
    assert.deepEqual(tags, [...tags].sort(), 'sorted by tag');
    const literal = (tag: string) => h.tracing.customTags.find((t: J) => t.tag === tag).literal.value;
    assert.equal(literal('istio.canonical_service'), 'waypoint');
    assert.equal(literal('istio.namespace'), 'app');
    assert.equal(h.http2ProtocolOptions, undefined);
    assert.deepEqual(
      hcmOf('inbound-vip|8100|http|httpbin.app.svc.cluster.local').http2ProtocolOptions,
      {},
      'buildWaypointInboundHTTPFilters: HTTP/2 ports',
    );
  });
});

describe('port protocols (kube/conversion.go: ConvertProtocol)', () => {
  const cases: [ServicePort, string][] = [
    [{ port: 80, name: 'http-web' }, 'http'],
    [{ port: 80, name: 'HTTP2' }, 'http2'],
    [{ port: 80, name: 'grpc-web-x' }, 'grpc-web'],
    [{ port: 80, name: 'web', appProtocol: 'grpc' }, 'grpc'],
    [{ port: 80, name: 'http', appProtocol: 'example.com/custom' }, 'unsupported'],
    [{ port: 80, appProtocol: 'kubernetes.io/h2c' }, 'http2'],
    [{ port: 80, appProtocol: 'kubernetes.io/ws' }, 'http'],
    [{ port: 443, appProtocol: 'kubernetes.io/wss' }, 'https'],
    [{ port: 25 }, 'tcp'],
    [{ port: 53, name: 'dns' }, 'tcp'],
    [{ port: 3306 }, 'tcp'],
    [{ port: 27017, name: 'db' }, 'tcp'],
    [{ port: 3306, name: 'http' }, 'http'],
    [{ port: 8080 }, 'unsupported'],
    [{ port: 53, protocol: 'UDP', name: 'http' }, 'udp'],
  ];
  for (const [port, want] of cases)
    it(`${JSON.stringify(port)} is ${want}`, () => assert.equal(istioProtocol(port), want));
});

describe('ext_authz from the mesh config (extauthz.go)', () => {
  const meshConfig = (provider: string): KubeObject =>
    ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio', namespace: 'istio-system' },
      data: { mesh: `extensionProviders:\n- name: authz\n  envoyExtAuthzHttp:\n${provider}` },
    }) as KubeObject;
  const authzSvc: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'ext-authz', namespace: 'app' },
    spec: { clusterIP: '10.96.0.99', ports: [{ name: 'http', port: 8000 }] },
  } as KubeObject;
  const custom: KubeObject = {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'custom', namespace: 'app' },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'waypoint' }],
      action: 'CUSTOM',
      provider: { name: 'authz' },
      rules: [{ to: [{ operation: { paths: ['/admin'] } }] }],
    },
  } as KubeObject;
  const extAuthzOf = (provider: string) => {
    const { listeners } = translate([
      ns('app'),
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
      meshConfig(provider),
      waypointGw,
      httpbin,
      authzSvc,
      custom,
    ]);
    const chain = listeners
      .get('main_internal')!
      .filterChains.find((c: J) => c.name === 'inbound-vip|8000|http|httpbin.app.svc.cluster.local');
    const hcm = chain.filters.find((f: J) => f.name === 'envoy.filters.network.http_connection_manager').typedConfig;
    return {
      ext: hcm.httpFilters.find((f: J) => f.name === 'envoy.filters.http.ext_authz')?.typedConfig as J | undefined,
      names: hcm.httpFilters.map((f: J) => f.name) as string[],
      rbac: hcm.httpFilters.filter((f: J) => f.name === 'envoy.filters.http.rbac').map((f: J) => f.typedConfig) as J[],
    };
  };

  it('leaves out the header lists a provider does not set, never an empty ListStringMatcher (generateHTTPConfig, generateHeaders)', () => {
    const { ext } = extAuthzOf('    service: ext-authz.app.svc.cluster.local\n    port: 8000\n');
    assert.ok(ext);
    assert.equal(ext.allowedHeaders, undefined);
    assert.equal(ext.httpService.authorizationResponse, undefined);
    assert.equal(ext.httpService.serverUri.uri, 'http://ext-authz.app.svc.cluster.local');
    assert.equal(ext.httpService.serverUri.timeout, '600s', 'timeoutOrDefault');
  });

  it('turns `*` at either end into suffix / prefix patterns and passes the other provider fields (generateHeaders, withBodyRequest)', () => {
    const { ext } = extAuthzOf(
      [
        '    service: ext-authz.app.svc.cluster.local',
        '    port: 8000',
        '    includeRequestHeadersInCheck: ["x-a*", "*-b"]',
        '    headersToDownstreamOnAllow: [set-cookie]',
        '    includeAdditionalHeadersInCheck: {x-z: "1", x-y: "2"}',
        '    includeRequestBodyInCheck: {maxRequestBytes: 100, packAsBytes: true}',
        '',
      ].join('\n'),
    );
    assert.ok(ext);
    assert.deepEqual(ext.allowedHeaders.patterns, [
      { prefix: 'x-a', ignoreCase: true },
      { suffix: '-b', ignoreCase: true },
    ]);
    assert.deepEqual(ext.httpService.authorizationResponse, {
      allowedClientHeadersOnSuccess: { patterns: [{ exact: 'set-cookie', ignoreCase: true }] },
    });
    assert.deepEqual(ext.httpService.authorizationRequest.headersToAdd, [
      { key: 'x-y', value: '2' },
      { key: 'x-z', value: '1' },
    ]);
    assert.deepEqual(ext.withRequestBody, { maxRequestBytes: 100, packAsBytes: true });
  });

  it('names the provider in the shadow policy keys and in the metadata prefix that enables ext_authz (builder.go: policyName; extauthz.go: generateFilterMatcherForProvider)', () => {
    const { ext, rbac } = extAuthzOf('    service: ext-authz.app.svc.cluster.local\n    port: 8000\n');
    assert.ok(ext);
    assert.deepEqual(Object.keys(rbac[0]!.shadowRules.policies), [
      'istio-ext-authz-authz-ns[app]-policy[custom]-rule[0]',
    ]);
    assert.equal(ext.filterEnabledMetadata.value.stringMatch.prefix, 'istio-ext-authz-authz');
    // The key must start with the prefix, or ext_authz would never be called.
    assert.ok(
      Object.keys(rbac[0]!.shadowRules.policies)[0]!.startsWith(ext.filterEnabledMetadata.value.stringMatch.prefix),
    );
  });

  it('denies under `istio-ext-authz-<provider>-…-deny-due-to-bad-CUSTOM-action` when the provider is unusable (builder.go: getBadCustomDenyRules, policyName)', () => {
    const { rbac } = extAuthzOf(
      '    service: ext-authz.app.svc.cluster.local\n    port: 8000\n    headersToUpstreamOnAllow: ["*"]\n',
    );
    const deny = rbac.find((r) => r.rules?.action === 'DENY')!;
    assert.deepEqual(Object.keys(deny.rules.policies), [
      'istio-ext-authz-authz-ns[app]-policy[custom]-rule[0]-deny-due-to-bad-CUSTOM-action',
    ]);
  });

  it('makes a provider with a lone `*` pattern unusable, so its policy fails closed (buildExtAuthzHTTP)', () => {
    const { ext, names } = extAuthzOf(
      '    service: ext-authz.app.svc.cluster.local\n    port: 8000\n    headersToUpstreamOnAllow: ["*"]\n',
    );
    assert.equal(ext, undefined);
    assert.ok(names.includes('envoy.filters.http.rbac'), 'the CUSTOM policy is enforced as DENY instead');
  });
});
