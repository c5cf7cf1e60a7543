// The mesh config's defaultHttpRetryPolicy on a waypoint's routes
// (route.go: applyHTTPRouteDestination, BuildDefaultHTTPOutboundRoute;
// retry.go: ConvertPolicy).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';
import { gw, ns, worldOf } from '../ambient/fixtures';

type J = Record<string, unknown>;

const base: KubeObject[] = [
  ns('istio-system'),
  ns('app', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }),
  gw('waypoint', 'app'),
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'plain', namespace: 'app' },
    spec: { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80 }] },
  } as KubeObject,
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: { name: 'g', namespace: 'app' },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'plain', port: 80 }],
      rules: [{ backendRefs: [{ name: 'plain', port: 80 }] }],
    },
  } as KubeObject,
];

/** Each route's retry policy (undefined when it has none), by route name. */
function retries(mesh?: string): Record<string, J | undefined> {
  const cm: KubeObject[] = mesh
    ? [
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio', namespace: 'istio-system' },
          data: { mesh },
        } as KubeObject,
      ]
    : [];
  const world = worldOf([...base, ...cm]);
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(out);
  const got: Record<string, J | undefined> = {};
  for (const rc of (renderWaypoint(out) as unknown as { routes: J[] }).routes)
    for (const vh of rc.virtualHosts as J[])
      for (const r of vh.routes as J[])
        got[`${rc.name as string}/${r.name as string}`] = (r.route as J).retryPolicy as J;
  return got;
}

describe("the mesh config's defaultHttpRetryPolicy", () => {
  it('replaces the default policy of routes that set none, a GRPCRoute rule included', () => {
    const got = retries('defaultHttpRetryPolicy: {attempts: 4, retryOn: reset}\n');
    const policies = Object.values(got);
    assert.equal(policies.length, 2, Object.keys(got).join(','));
    for (const p of policies) {
      assert.equal((p?.numRetries as number | undefined) ?? 0, 4);
      assert.equal(p?.retryOn, 'reset');
    }
  });

  it('with attempts 0 leaves those routes without a retry policy (retry.go: ConvertPolicy)', () => {
    const got = retries('defaultHttpRetryPolicy: {attempts: 0}\n');
    assert.deepEqual(Object.values(got), [undefined, undefined]);
  });

  it('unset, the default policy stays', () => {
    for (const p of Object.values(retries())) assert.equal(p?.numRetries, 2);
  });
});
