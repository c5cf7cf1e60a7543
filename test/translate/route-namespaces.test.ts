// Routes for one service from the service's namespace and from the waypoint's:
// istiod makes one VirtualService per route namespace (route_collections.go:
// mergeHTTPRoutes), lists the waypoint namespace's first
// (push_context.go: VirtualServicesForGateway) and concatenates their routes
// (listener_waypoint.go: buildWaypointInboundHTTPRouteConfig), so one
// namespace's rules are not ranked against the other's.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';

const objects: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'infra' } },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name: 'app',
      labels: {
        'istio.io/dataplane-mode': 'ambient',
        'istio.io/use-waypoint': 'waypoint',
        'istio.io/use-waypoint-namespace': 'infra',
      },
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'infra' },
    spec: {
      gatewayClassName: 'istio-waypoint',
      listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE', allowedRoutes: { namespaces: { from: 'All' } } }],
    },
  } as KubeObject,
  ...['echo', 'other'].map(
    (name, i) =>
      ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name, namespace: 'app' },
        spec: { clusterIP: `10.96.0.${50 + i}`, ports: [{ name: 'http', port: 80 }] },
      }) as KubeObject,
  ),
  ...[
    ['app', '/api/v1/very/specific', 'other'],
    ['infra', '/api', 'other'],
    ['infra', '/', 'echo'],
    ['app', '/z', 'echo'],
  ].map(
    ([ns, prefix, backend], i) =>
      ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'HTTPRoute',
        metadata: { name: `r${i}`, namespace: ns },
        spec: {
          parentRefs: [{ group: '', kind: 'Service', name: 'echo', namespace: 'app' }],
          rules: [
            {
              matches: [{ path: { type: 'PathPrefix', value: prefix } }],
              backendRefs: [{ name: backend, namespace: 'app', port: 80 }],
            },
          ],
        },
      }) as KubeObject,
  ),
];

describe("routes from the service's and the waypoint's namespaces", () => {
  it("rank the waypoint namespace's rules first, each namespace's on its own, each cut after its catch-all", () => {
    const { world } = applyChanges(
      EMPTY_WORLD,
      objects.map((object) => ({ op: 'upsert' as const, object })),
    );
    const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('infra/waypoint');
    assert.ok(out);
    const svc = out.ir.services.find((s) => s.name === 'echo');
    const names = svc?.ports[0]?.httpRoutes.map((r) => `${r.match.path?.value ?? ''}`);
    // infra: /api before / (cut there); then app: the longer prefix first, /z after it.
    assert.deepEqual(names, ['/api', '/', '/api/v1/very/specific', '/z']);
  });
});
