// Mesh route status as istiod writes it (conditions.go: createRouteStatus,
// conversion.go: referenceAllowed): what a user reads on an HTTPRoute whose
// parent is a Service.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';

const objects: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'plain', labels: { 'istio.io/dataplane-mode': 'ambient' } },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
  svc('echo', 'app', '10.96.0.10'),
  svc('bare', 'plain', '10.96.0.11'),
  svc('opted-out', 'app', '10.96.0.12', { 'istio.io/use-waypoint': 'none' }),
];

function svc(name: string, namespace: string, ip: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { clusterIP: ip, ports: [{ name: 'http', port: 80 }] },
  } as KubeObject;
}

function route(namespace: string, parent: string, parentNamespace?: string): KubeObject {
  const ref = { group: '', kind: 'Service', name: parent, ...(parentNamespace ? { namespace: parentNamespace } : {}) };
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace },
    spec: { parentRefs: [ref], rules: [{}] },
  } as KubeObject;
}

/** The conditions of the route's one parent, as type → [status, reason, message]. */
function conditions(r: KubeObject): Record<string, [string, string, string]> {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...objects, r].map((object) => ({ op: 'upsert' as const, object })),
  );
  const st = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).statuses.find(
    (s) => s.kind === 'HTTPRoute' && s.namespace === r.metadata.namespace,
  );
  const conds = st?.parents?.[0]?.conditions ?? [];
  return Object.fromEntries(conds.map((c) => [c.type, [c.status, c.reason, c.message]]));
}

const MISSING =
  'istio.io/use-waypoint label missing from parent and parent namespace; in ambient mode, route will not be respected';

describe('mesh route status (conditions.go: createRouteStatus)', () => {
  it('a route on a Service with a waypoint: Accepted, ResolvedRefs, ResolvedWaypoints "All waypoints resolved"', () => {
    assert.deepEqual(conditions(route('app', 'echo')), {
      Accepted: ['True', 'Accepted', 'Route was valid'],
      ResolvedRefs: ['True', 'ResolvedRefs', 'All references resolved'],
      ResolvedWaypoints: ['True', 'ResolvedWaypoints', 'All waypoints resolved'],
    });
  });

  it('no use-waypoint label on the Service or its namespace: still Accepted, ResolvedWaypoints True with the reason as message (conversion.go: referenceAllowed)', () => {
    const c = conditions(route('plain', 'bare'));
    assert.deepEqual(c.Accepted, ['True', 'Accepted', 'Route was valid']);
    assert.deepEqual(c.ResolvedWaypoints, ['True', 'ResolvedWaypoints', MISSING]);
  });

  it('a Service labelled `none` counts as unlabelled, so its namespace label decides (conversion.go: waypointConfigured, referenceAllowed)', () => {
    assert.deepEqual(conditions(route('app', 'opted-out')).ResolvedWaypoints, [
      'True',
      'ResolvedWaypoints',
      'All waypoints resolved',
    ]);
  });

  it('a consumer route (another namespace than the Service and its waypoint) is Accepted, though the waypoint does not apply it (conversion.go: referenceAllowed)', () => {
    assert.deepEqual(conditions(route('plain', 'echo', 'app')), {
      Accepted: ['True', 'Accepted', 'Route was valid'],
      ResolvedRefs: ['True', 'ResolvedRefs', 'All references resolved'],
      ResolvedWaypoints: ['True', 'ResolvedWaypoints', 'All waypoints resolved'],
    });
  });

  it('a missing parent Service: Accepted False NoMatchingParent, ResolvedWaypoints "parent not found"', () => {
    const c = conditions(route('app', 'nope'));
    assert.deepEqual(c.Accepted, ['False', 'NoMatchingParent', 'parent service: "nope" not found']);
    assert.deepEqual(c.ResolvedWaypoints, ['True', 'ResolvedWaypoints', 'parent not found']);
  });
});
