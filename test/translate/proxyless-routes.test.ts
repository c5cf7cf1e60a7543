// Route entries a proxyless gRPC client receives, as istiod's grpcgen builds
// them. Each test names the istiod function it follows.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { buildProxyless } from '../../src/translate/proxyless/proxyless';
import { renderResources } from '../../src/translate/render';

type J = Record<string, unknown>;

const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'app' },
    spec: { clusterIP: '10.96.0.10', ports: [{ name: 'grpc', port: 7000, appProtocol: 'grpc' }] },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'g', namespace: 'app' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
      rules: [
        {
          matches: [{ method: { service: 'test.Echo', method: 'Ping' } }],
          backendRefs: [{ name: 'echo', port: 7000 }],
        },
      ],
    },
  } as KubeObject,
];

function proxylessRoutes(): J[] {
  const { world } = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  );
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const rendered = renderResources(buildProxyless(world, translateAll(world, opts).index, opts));
  const rc = rendered.routes?.find((r) => (r as J).name === 'echo.app.svc.cluster.local:7000') as J | undefined;
  assert.ok(rc, 'echo has a route configuration');
  return ((rc.virtualHosts as J[])[0] as J).routes as J[];
}

describe('proxyless routes (istiod grpcgen parity)', () => {
  it('a GRPCRoute match carries no grpc matcher (rds.go: buildHTTPRoute; route.go: TranslateRouteMatch)', () => {
    const routes = proxylessRoutes();
    const g = routes.find((r) => String(r.name).startsWith('app.g.'));
    assert.ok(g, 'the GRPCRoute rule is routed');
    assert.deepEqual(g.match, { path: '/test.Echo/Ping' });
  });
});
