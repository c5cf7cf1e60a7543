// Route semantics as istiod decides them, observed in the RDS/LDS a waypoint
// receives. Each test names the istiod function it follows.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
  svc('echo', 'app', '10.96.0.10', [{ name: 'http', port: 8080 }]),
  svc('tcp', 'app', '10.96.0.11', [{ name: 'tcp', port: 9000 }]),
  svc('far', 'other', '10.96.0.12', [{ name: 'http', port: 80 }]),
];

function svc(name: string, namespace: string, ip: string, ports: { name: string; port: number }[]): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP: ip, ports } };
}

function httpRoute(name: string, rules: unknown[], extra: J = {}): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name, namespace: 'app', ...extra },
    spec: { parentRefs: [{ group: '', kind: 'Service', name: 'echo' }], rules },
  } as KubeObject;
}

function translate(objects: KubeObject[]) {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...base, ...objects].map((object) => ({ op: 'upsert' as const, object })),
  );
  const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
  const w = result.waypoints.get('app/waypoint');
  assert.ok(w, 'the waypoint is translated');
  return { rendered: renderWaypoint(w), statuses: result.statuses };
}

/** The route entries of echo's port 8080, as Envoy receives them. */
function echoRoutes(objects: KubeObject[]): J[] {
  const rc = translate(objects).rendered.routes?.find(
    (r) => (r as J).name === 'inbound-vip|8080|http|echo.app.svc.cluster.local',
  ) as J | undefined;
  assert.ok(rc, 'echo has a route configuration');
  const vh = (rc.virtualHosts as J[])[0] as J;
  return vh.routes as J[];
}

const to = (name: string, port = 8080) => ({ name, port });
const prefix = (value: string) => ({ path: { type: 'PathPrefix', value } });

describe('route semantics (istiod parity)', () => {
  it('orders exact before prefix before regex, whatever the rule order (conversion.go: sortHTTPRoutes)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          matches: [{ path: { type: 'RegularExpression', value: '/a/[0-9]+/long/regex' } }],
          backendRefs: [to('echo')],
        },
        { matches: [prefix('/a')], backendRefs: [to('echo')] },
        { matches: [{ path: { type: 'Exact', value: '/a/b' } }], backendRefs: [to('echo')] },
      ]),
    ]);
    assert.deepEqual(
      routes.map((r) => r.name),
      ['app.r.2', 'app.r.1', 'app.r.0'],
    );
  });

  it('ranks a prefix without its trailing slash (conversion.go: createURIMatch, getURILength)', () => {
    // "/ab/" would outrank "/abc" on raw length; trimmed it is "/ab", shorter.
    const routes = echoRoutes([
      httpRoute('r', [
        { matches: [prefix('/ab/')], backendRefs: [to('echo')] },
        { matches: [prefix('/abc')], backendRefs: [to('echo')] },
      ]),
    ]);
    assert.deepEqual(
      routes.map((r) => [r.name, (r.match as J).pathSeparatedPrefix]),
      [
        ['app.r.1', '/abc'],
        ['app.r.0', '/ab'],
      ],
    );
  });

  it('breaks path ties by method, then header count, then query count (conversion.go: sortHTTPRoutes)', () => {
    const h = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `x-h${i}`, value: 'v' }));
    const routes = echoRoutes([
      httpRoute('r', [
        { matches: [{ ...prefix('/p'), queryParams: [{ name: 'q', value: '1' }] }], backendRefs: [to('echo')] },
        { matches: [{ ...prefix('/p'), headers: h(2) }], backendRefs: [to('echo')] },
        { matches: [{ ...prefix('/p'), headers: h(1) }], backendRefs: [to('echo')] },
        { matches: [{ ...prefix('/p'), method: 'GET' }], backendRefs: [to('echo')] },
      ]),
    ]);
    assert.deepEqual(
      routes.map((r) => r.name),
      ['app.r.3', 'app.r.1', 'app.r.2', 'app.r.0'],
    );
  });

  it('keeps the older route first on a full tie (conversion.go: sortRoutesByCreationTime)', () => {
    const rule = [{ matches: [prefix('/same')], backendRefs: [to('echo')] }];
    const routes = echoRoutes([
      httpRoute('young', rule, { creationTimestamp: '2026-01-02T00:00:00Z' }),
      httpRoute('old', rule, { creationTimestamp: '2026-01-01T00:00:00Z' }),
    ]);
    assert.deepEqual(
      routes.map((r) => r.name),
      ['app.old.0', 'app.young.0'],
    );
  });

  it('sends nothing after a catch-all route, which a regex ranks below (listener_waypoint.go: waypointInboundRoute; route.go: IsCatchAllRoute)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        { matches: [{ path: { type: 'RegularExpression', value: '/r.*' } }], backendRefs: [to('echo')] },
        { backendRefs: [to('echo')] },
        { matches: [prefix('/x')], backendRefs: [to('echo')] },
      ]),
    ]);
    assert.deepEqual(
      routes.map((r) => r.name),
      ['app.r.2', 'app.r.1'],
    );
  });

  it("a lone backend's header filters apply at route level, after the rule's (route.go: processDestination)", () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          filters: [
            { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-rule', value: '1' }] } },
          ],
          backendRefs: [
            {
              ...to('echo'),
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { add: [{ name: 'x-backend', value: '2' }], remove: ['x-gone'] },
                },
              ],
            },
          ],
        },
      ]),
    ]);
    const r = routes[0] as J;
    assert.equal((r.route as J).cluster, 'inbound-vip|8080|http|echo.app.svc.cluster.local');
    assert.deepEqual(
      (r.requestHeadersToAdd as J[]).map((h) => (h.header as J).key),
      ['x-rule', 'x-backend'],
    );
    assert.deepEqual(r.requestHeadersToRemove, ['x-gone']);
  });

  it('names a route entry after the rule name when it has one (conversion.go: convertHTTPRoute)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        { name: 'checkout', matches: [prefix('/c')], backendRefs: [to('echo')] },
        { matches: [prefix('/d')], backendRefs: [to('echo')] },
      ]),
    ]);
    assert.deepEqual(routes.map((r) => r.name).sort(), ['app.r.1', 'checkout']);
  });

  it('ReplacePrefixMatch with a trailing slash does not produce // (conversion.go: createRewriteFilter)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          matches: [prefix('/old/')],
          filters: [
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/new/' } } },
          ],
          backendRefs: [to('echo')],
        },
      ]),
    ]);
    const action = routes[0]?.route as J;
    assert.equal(action.prefixRewrite, '/new');
    assert.equal((routes[0]?.match as J).pathSeparatedPrefix, '/old');
  });

  it('ReplacePrefixMatch "/" strips the prefix and keeps one leading slash (route.go: applyHTTPRouteDestination)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          matches: [prefix('/strip')],
          filters: [
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
          ],
          backendRefs: [to('echo')],
        },
      ]),
    ]);
    const rr = (routes[0]?.route as J).regexRewrite as J;
    assert.deepEqual(rr, { pattern: { regex: '^/strip(/?)(.*)' }, substitution: '/\\2' });
    const re = new RegExp((rr.pattern as J).regex as string);
    assert.equal('/strip/a/b'.replace(re, '/$2'), '/a/b');
    assert.equal('/strip'.replace(re, '/$2'), '/');
  });

  it('a CORS filter becomes a per-route CORS policy, not a 500 (conversion.go: createCorsFilter; route.go: TranslateCORSPolicy)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          filters: [
            {
              type: 'CORS',
              cors: {
                allowOrigins: ['https://a.example', 'https://*.b.example', 'http://c.example:*', '*'],
                allowMethods: ['GET', 'POST'],
                allowHeaders: ['x-a'],
                exposeHeaders: ['x-b'],
                allowCredentials: true,
                maxAge: 600,
              },
            },
          ],
          backendRefs: [to('echo')],
        },
      ]),
    ]);
    const r = routes[0] as J;
    assert.equal(r.directResponse, undefined);
    assert.ok(r.route, 'the rule still routes');
    const cors = (r.typedPerFilterConfig as J)['envoy.filters.http.cors'] as J;
    assert.equal(cors['@type'], 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy');
    assert.deepEqual(cors.allowOriginStringMatch, [
      { exact: 'https://a.example' },
      { safeRegex: { regex: '^https://.*\\.b\\.example$' } },
      { prefix: 'http://c.example:' },
      { safeRegex: { regex: '^[a-zA-Z][a-zA-Z0-9+.-]*://[^/\\s?#]+$' } },
    ]);
    assert.equal(cors.allowMethods, 'GET,POST');
    assert.equal(cors.allowHeaders, 'x-a');
    assert.equal(cors.exposeHeaders, 'x-b');
    assert.equal(cors.maxAge, '600');
    assert.equal(cors.allowCredentials, true);
    assert.equal(cors.forwardNotMatchingPreflights, false);
  });

  it('the HTTP chain has the CORS filter that reads the per-route policy', () => {
    const { rendered } = translate([
      httpRoute('r', [{ filters: [{ type: 'CORS', cors: { allowOrigins: ['*'] } }], backendRefs: [to('echo')] }]),
    ]);
    assert.ok(JSON.stringify(rendered.listeners).includes('"name":"envoy.filters.http.cors"'));
  });

  it('backendRequest without retry replaces the request timeout (conversion.go: convertHTTPRoute)', () => {
    const routes = echoRoutes([
      httpRoute('r', [{ timeouts: { request: '10s', backendRequest: '2s' }, backendRefs: [to('echo')] }]),
    ]);
    const action = routes[0]?.route as J;
    assert.equal(action.timeout, '2s');
    assert.equal((action.retryPolicy as J).perTryTimeout, undefined);
    assert.deepEqual(action.maxStreamDuration, { grpcTimeoutHeaderMax: '2s' });
  });

  it('backendRequest with retry is the per-try timeout (conversion.go: convertHTTPRoute)', () => {
    const routes = echoRoutes([
      httpRoute('r', [{ timeouts: { request: '10s', backendRequest: '2s' }, retry: {}, backendRefs: [to('echo')] }]),
    ]);
    const action = routes[0]?.route as J;
    assert.equal(action.timeout, '10s');
    assert.equal((action.retryPolicy as J).perTryTimeout, '2s');
  });

  it('retry: attempts default to 2, connection errors are always retried, previous hosts avoided (retry.go: ConvertPolicy)', () => {
    const routes = echoRoutes([
      httpRoute('r', [{ retry: { codes: [502, 504], backoff: '250ms' }, backendRefs: [to('echo')] }]),
    ]);
    const p = (routes[0]?.route as J).retryPolicy as J;
    assert.equal(p.numRetries, 2);
    assert.equal(p.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    assert.deepEqual(p.retriableStatusCodes, [502, 504]);
    assert.deepEqual(p.retryBackOff, { baseInterval: '0.25s' });
    assert.equal(p.hostSelectionRetryMaxAttempts, '5');
    assert.deepEqual(
      (p.retryHostPredicate as J[]).map((x) => x.name),
      ['envoy.retry_host_predicates.previous_hosts'],
    );
  });

  it('retry.attempts 0 turns retries off (retry.go: ConvertPolicy)', () => {
    const routes = echoRoutes([httpRoute('r', [{ retry: { attempts: 0 }, backendRefs: [to('echo')] }])]);
    assert.equal((routes[0]?.route as J).retryPolicy, undefined);
  });

  it("the service's default route gets istiod's default retry policy and no timeout (retry.go: DefaultPolicy; route.go: BuildDefaultHTTPOutboundRoute)", () => {
    const routes = echoRoutes([]);
    assert.equal(routes.length, 1);
    const action = routes[0]?.route as J;
    assert.equal(routes[0]?.name, 'default');
    assert.equal(action.timeout, '0s');
    assert.deepEqual(action.maxStreamDuration, { grpcTimeoutHeaderMax: '0s' });
    const p = action.retryPolicy as J;
    assert.equal(p.numRetries, 2);
    assert.equal(p.retryOn, 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes');
    assert.equal(p.retriableStatusCodes, undefined);
    assert.equal(p.hostSelectionRetryMaxAttempts, '5');
    assert.equal((p.retryHostPredicate as J[]).length, 1);
  });

  it('a redirect with neither port nor scheme keeps the request port (conversion.go: createRedirectFilter FROM_REQUEST_PORT; route.go: ApplyRedirect)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        { matches: [prefix('/a')], filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'x.example' } }] },
        {
          matches: [prefix('/b')],
          filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', hostname: 'x.example' } }],
        },
        { matches: [prefix('/c')], filters: [{ type: 'RequestRedirect', requestRedirect: { port: 80 } }] },
      ]),
    ]);
    const byName = new Map(routes.map((r) => [r.name, r.redirect as J]));
    assert.equal(byName.get('app.r.0')?.portRedirect, 8080);
    assert.equal(byName.get('app.r.1')?.portRedirect, undefined, 'a scheme alone means its default port');
    assert.equal(byName.get('app.r.2')?.portRedirect, undefined, 'port 80 over http is left out');
  });

  it('a mesh route needs no ReferenceGrant for a backend in another namespace (conversion.go: buildDestination, enforceRefGrant = !mesh)', () => {
    const { rendered, statuses } = translate([
      httpRoute('r', [{ backendRefs: [{ name: 'far', namespace: 'other', port: 80 }] }]),
    ]);
    const rc = rendered.routes?.find((r) => (r as J).name === 'inbound-vip|8080|http|echo.app.svc.cluster.local') as J;
    const route = ((rc.virtualHosts as J[])[0]?.routes as J[])[0] as J;
    assert.equal((route.route as J).cluster, 'outbound|80||far.other.svc.cluster.local');
    const st = statuses.find((s) => s.kind === 'HTTPRoute' && s.name === 'r');
    const resolved = st?.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs');
    assert.equal(resolved?.status, 'True');
  });

  it('an invalid backend among valid ones keeps its weight share as 500s (conversion.go: buildHTTPDestination)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          backendRefs: [
            { name: 'echo', port: 8080, weight: 3 },
            { name: 'missing', port: 8080, weight: 1 },
            { name: 'x', kind: 'Unknown', group: 'example.com', port: 1, weight: 1 },
          ],
        },
      ]),
    ]);
    const action = routes[0]?.route as J;
    assert.equal(action.clusterNotFoundResponseCode, 'INTERNAL_SERVER_ERROR');
    assert.deepEqual((action.weightedClusters as J).clusters, [
      { name: 'inbound-vip|8080|http|echo.app.svc.cluster.local', weight: 3 },
      { name: 'inbound-vip|8080|http|missing.app.svc.cluster.local', weight: 1 },
      { name: 'UnknownService', weight: 1 },
    ]);
  });

  it('a mirrored copy is not force-traced and keeps its Host (route.go: TranslateRequestMirrorPolicy)', () => {
    const routes = echoRoutes([
      httpRoute('r', [
        {
          filters: [{ type: 'RequestMirror', requestMirror: { backendRef: to('echo'), percent: 50 } }],
          backendRefs: [to('echo')],
        },
      ]),
    ]);
    assert.deepEqual((routes[0]?.route as J).requestMirrorPolicies, [
      {
        cluster: 'inbound-vip|8080|http|echo.app.svc.cluster.local',
        runtimeFraction: { defaultValue: { numerator: 500000, denominator: 'MILLION' } },
        traceSampled: false,
        disableShadowHostSuffixAppend: true,
      },
    ]);
  });

  it('a GRPCRoute match does not require content-type application/grpc (route.go: TranslateRouteMatch)', () => {
    const routes = echoRoutes([
      {
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'GRPCRoute',
        metadata: { name: 'g', namespace: 'app' },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
          rules: [{ matches: [{ method: { service: 'test.Echo', method: 'Ping' } }], backendRefs: [to('echo')] }],
        },
      } as KubeObject,
    ]);
    const g = routes.find((r) => String(r.name).startsWith('app.g.'));
    assert.ok(g, 'the GRPCRoute rule is routed');
    assert.deepEqual(g.match, { path: '/test.Echo/Ping' });
  });
});

describe('TCPRoute and TLSRoute on a waypoint (istiod parity)', () => {
  const l4 = (kind: 'TCPRoute' | 'TLSRoute', name: string, backend: string, extra: J = {}): KubeObject =>
    ({
      apiVersion: kind === 'TCPRoute' ? 'gateway.networking.k8s.io/v1alpha2' : 'gateway.networking.k8s.io/v1',
      kind,
      metadata: { name, namespace: 'app' },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name: 'tcp' }],
        rules: [{ backendRefs: [{ name: backend, port: 9000 }] }],
        ...extra,
      },
    }) as KubeObject;

  /** The cluster the tcp_proxy of the port's TCP chain sends to. */
  const tcpProxyCluster = (objects: KubeObject[]): unknown => {
    const chainName = 'inbound-vip|9000|tcp|tcp.app.svc.cluster.local';
    for (const l of translate(objects).rendered.listeners as J[])
      for (const c of (l.filterChains as J[] | undefined) ?? [])
        if (c.name === chainName)
          for (const f of c.filters as J[])
            if (f.name === 'envoy.filters.network.tcp_proxy') return (f.typedConfig as J).cluster;
    return undefined;
  };

  it('a TLSRoute for the service host wins over a TCPRoute, with no SNI chain (listener_waypoint.go: getWaypointTCPRoutes)', () => {
    const objects = [
      svc('a', 'app', '10.96.0.20', [{ name: 'tcp', port: 9000 }]),
      svc('b', 'app', '10.96.0.21', [{ name: 'tcp', port: 9000 }]),
      l4('TCPRoute', 't', 'a'),
      l4('TLSRoute', 's', 'b', { hostnames: ['tcp.app.svc.cluster.local'] }),
    ];
    assert.equal(tcpProxyCluster(objects), 'inbound-vip|9000|tcp|b.app.svc.cluster.local');
    const listeners = JSON.stringify(translate(objects).rendered.listeners);
    assert.ok(!listeners.includes('|tls|'), 'no SNI-matched chain');
  });

  it('a TLSRoute naming another host is not applied (listener_waypoint.go: getTLSRouteMatch)', () => {
    const objects = [
      svc('a', 'app', '10.96.0.20', [{ name: 'tcp', port: 9000 }]),
      svc('b', 'app', '10.96.0.21', [{ name: 'tcp', port: 9000 }]),
      l4('TCPRoute', 't', 'a'),
      l4('TLSRoute', 's', 'b', { hostnames: ['elsewhere.example'] }),
    ];
    assert.equal(tcpProxyCluster(objects), 'inbound-vip|9000|tcp|a.app.svc.cluster.local');
  });

  it('a TLSRoute without hostnames takes the service host (route_collections.go: augmentTLSPortMatch)', () => {
    const objects = [svc('b', 'app', '10.96.0.21', [{ name: 'tcp', port: 9000 }]), l4('TLSRoute', 's', 'b')];
    assert.equal(tcpProxyCluster(objects), 'inbound-vip|9000|tcp|b.app.svc.cluster.local');
  });

  it('a TCPRoute whose backends all have weight 0 refuses connections (conversion.go: convertTCPRoute)', () => {
    const route = l4('TCPRoute', 't', 'tcp');
    (route.spec as { rules: { backendRefs: { weight?: number }[] }[] }).rules[0]!.backendRefs[0]!.weight = 0;
    assert.equal(tcpProxyCluster([route]), 'inbound-vip|65535|http/zero-weight|internal.cluster.local');
  });
});

describe('ServiceEntry as a route parent', () => {
  const seRoute = (se: string): KubeObject =>
    ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'to-se', namespace: 'app' },
      spec: {
        parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: se }],
        rules: [{ backendRefs: [to('echo')] }],
      },
    }) as KubeObject;
  const entry: KubeObject = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name: 'ext', namespace: 'app' },
    spec: { hosts: ['ext.example'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS' },
  } as KubeObject;
  const conditions = (objects: KubeObject[]) =>
    translate(objects).statuses.find((s) => s.kind === 'HTTPRoute' && s.name === 'to-se')?.parents?.[0]?.conditions ??
    [];
  const cond = (objects: KubeObject[], type: string) => conditions(objects).find((c) => c.type === type);

  it('is Accepted when the entry exists, and NoMatchingParent naming it when not (conversion.go: referenceAllowed, the ServiceEntry case)', () => {
    assert.equal(cond([entry, seRoute('ext')], 'Accepted')?.status, 'True');
    const absent = cond([seRoute('nope')], 'Accepted');
    assert.equal(absent?.status, 'False');
    assert.equal(absent?.reason, 'NoMatchingParent');
    assert.equal(absent?.message, 'parent service entry: "nope" not found');
  });

  it('says in ResolvedWaypoints when neither the entry nor its namespace names a waypoint (conversion.go: referenceAllowed)', () => {
    const elsewhere = { ...entry, metadata: { name: 'ext', namespace: 'other' } };
    const route = seRoute('ext');
    (route.spec as { parentRefs: J[] }).parentRefs[0]!.namespace = 'other';
    assert.match(cond([elsewhere, route], 'ResolvedWaypoints')?.message ?? '', /use-waypoint label missing/);
    const labelled = {
      ...elsewhere,
      metadata: { ...elsewhere.metadata, labels: { 'istio.io/use-waypoint': 'waypoint' } },
    };
    assert.equal(cond([labelled, route], 'ResolvedWaypoints')?.message, 'All waypoints resolved');
  });

  it("is applied to the entry's host chain on its waypoint (route_collections.go: HTTPRouteCollection, vsHosts = the entry's hosts)", () => {
    const rc = translate([entry, seRoute('ext')]).rendered.routes?.find(
      (r) => (r as J).name === 'inbound-vip|80|http|ext.example',
    ) as J | undefined;
    assert.ok(rc, 'the entry host has its HTTP route configuration');
    const route = ((rc.virtualHosts as J[])[0] as J).routes as J[];
    assert.equal(((route[0] as J).route as J).cluster, 'inbound-vip|8080|http|echo.app.svc.cluster.local');
  });
});
