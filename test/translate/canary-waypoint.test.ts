import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { decodeMessage, TypeUrl } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, statusesOf } from '../../src/translate';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';

// istio.io/ingress-use-waypoint and canary waypoints as istiod reflects them
// in the workload API and the Service's WaypointBound condition
// (services.go: ingressUseWaypointFromLabels; waypoints.go: buildWeightedWaypoints;
// service.go: ServiceInfo.GetConditions).

const waypoint = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name, namespace: 'app', ...extra },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  status: { addresses: [{ type: 'Hostname', value: `${name}.app.svc.cluster.local` }] },
});

const service = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'app', labels, annotations },
  spec: { clusterIP: `10.0.0.${name.length}`, ports: [{ port: 80 }] },
});

function run(objects: KubeObject[]) {
  const world = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
  const index = buildAmbientIndex(world, { assumeReady: true });
  const api = buildWorkloadApi(world, index, DEFAULT_OPTIONS);
  const services = new Map(
    (api.get(TypeUrl.Address) ?? [])
      .map((r) => decodeMessage('istio.workload.Address', r.body).service)
      .filter((s) => s !== undefined && s !== null)
      .map((s) => [s.name, s] as const),
  );
  const bound = new Map(
    statusesOf(world, index, DEFAULT_OPTIONS)
      .filter((s) => s.kind === 'Service')
      .map((s) => [s.name, s.conditions?.find((c) => c.type === 'istio.io/WaypointBound')?.message] as const),
  );
  return { services, bound, index };
}

const ns: KubeObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: {
    name: 'app',
    labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' },
  },
};

describe('canary waypoints and ingress-use-waypoint', () => {
  it('weights a valid canary against the primary and marks ingress use', () => {
    const { services, bound, index } = run([
      ns,
      waypoint('waypoint'),
      waypoint('canary'),
      service(
        'echo',
        { 'istio.io/ingress-use-waypoint': 'true', 'istio.io/use-waypoint-canary': 'canary' },
        {
          'istio.io/use-waypoint-canary-weight': '20',
        },
      ),
    ]);
    const echo = services.get('echo')!;
    assert.equal(echo.ingress_use_waypoint, true);
    assert.deepEqual(
      echo.weighted_waypoints.map((w) => [w.destination?.hostname?.hostname, w.weight]),
      [
        ['waypoint.app.svc.cluster.local', 80],
        ['canary.app.svc.cluster.local', 20],
      ],
    );
    assert.equal(echo.waypoint?.hostname?.hostname, 'waypoint.app.svc.cluster.local', 'the primary stays the waypoint');
    // The canary fronts the service too, so it must serve it (ambientindex.go: serviceOwningWaypoints).
    assert.deepEqual(
      index.servicesOf('app/canary').map((s) => s.metadata.name),
      ['echo'],
    );
    assert.equal(index.canaryFor('Service/app/echo')?.key, 'app/canary');
    assert.equal(
      bound.get('echo'),
      'Successfully attached to waypoint app/waypoint. Ingress traffic will traverse the waypoint',
    );
  });

  it('gives a ServiceEntry the same fields (services.go: serviceEntryServiceBuilder)', () => {
    const { services } = run([
      ns,
      waypoint('waypoint'),
      waypoint('canary'),
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: {
          name: 'ext',
          namespace: 'app',
          labels: { 'istio.io/ingress-use-waypoint': 'True', 'istio.io/use-waypoint-canary': 'canary' },
          annotations: { 'istio.io/use-waypoint-canary-weight': '100' },
        },
        spec: { hosts: ['ext.example.com'], addresses: ['240.0.0.1'], ports: [{ number: 443, name: 'tls' }] },
      },
    ]);
    const ext = services.get('ext')!;
    assert.equal(ext.ingress_use_waypoint, true);
    assert.deepEqual(
      ext.weighted_waypoints.map((w) => w.weight),
      [0, 100],
    );
  });

  it('keeps the primary alone and says why when the canary cannot be used', () => {
    const { services, bound } = run([
      ns,
      waypoint('waypoint'),
      waypoint('workload-only', { labels: { 'istio.io/waypoint-for': 'workload' } }),
      service(
        'bad-weight',
        { 'istio.io/use-waypoint-canary': 'canary', 'istio.io/ingress-use-waypoint': 'no' },
        {
          'istio.io/use-waypoint-canary-weight': '150',
        },
      ),
      service('same', { 'istio.io/use-waypoint-canary': 'waypoint' }),
      service('missing', { 'istio.io/use-waypoint-canary': 'gone' }),
      service('wrong-type', { 'istio.io/use-waypoint-canary': 'workload-only' }),
    ]);
    for (const name of ['bad-weight', 'same', 'missing', 'wrong-type']) {
      assert.deepEqual(services.get(name)!.weighted_waypoints, [], name);
      assert.equal(services.get(name)!.ingress_use_waypoint, false, name);
    }
    assert.equal(
      bound.get('bad-weight'),
      'Successfully attached to waypoint app/waypoint. Ingress traffic is not using the waypoint, set the istio.io/ingress-use-waypoint label to true if desired.. Canary waypoint not attached: canary waypoint "app/canary" has an invalid weight; must be an integer in [0,100]',
    );
    assert.equal(
      bound.get('same'),
      'Successfully attached to waypoint app/waypoint. Canary waypoint not attached: canary waypoint "app/waypoint" must differ from the primary waypoint',
    );
    assert.equal(
      bound.get('missing'),
      'Successfully attached to waypoint app/waypoint. Canary waypoint not attached: waypoint "app/gone" is not ready',
    );
    assert.equal(
      bound.get('wrong-type'),
      'Successfully attached to waypoint app/waypoint. Canary waypoint not attached: attempting to bind to traffic type "service" which the waypoint "app/workload-only" does not support',
    );
  });

  it('reads the canary from the namespace only when the service names no waypoint itself', () => {
    const nsCanary: KubeObject = {
      ...ns,
      metadata: {
        ...ns.metadata,
        labels: { ...ns.metadata.labels, 'istio.io/use-waypoint-canary': 'canary' },
        annotations: { 'istio.io/use-waypoint-canary-weight': '5' },
      },
    };
    const { services } = run([
      nsCanary,
      waypoint('waypoint'),
      waypoint('canary'),
      waypoint('other'),
      service('inherits', {}),
      service('own', { 'istio.io/use-waypoint': 'other' }),
    ]);
    assert.deepEqual(
      services.get('inherits')!.weighted_waypoints.map((w) => w.weight),
      [95, 5],
    );
    assert.deepEqual(services.get('own')!.weighted_waypoints, []);
  });
});
