// What only outbound clusters carry (cluster_builder.go: applyDestinationRule,
// buildSubsetCluster): the peer metadata exchange filter, and on the default
// cluster of a port `istio.disable_mx` when every endpoint takes HBONE, else
// `istio.external` for a mesh-external host.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { renderWaypoint } from '../../src/translate/render';
import { hostnameRoute, referenceGrant, serviceRoute } from '../ambient/fixtures';

type J = Record<string, unknown>;

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});

const waypoint: KubeObject[] = [
  ns('app', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }),
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { addresses: [{ type: 'IPAddress', value: '10.96.100.1' }] },
  } as KubeObject,
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'front', namespace: 'app' },
    spec: { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }], selector: { app: 'front' } },
  } as KubeObject,
];

/** A Service `back` in `far` with pods, reached from `front`'s route; `far` in the mesh or not. */
function backend(ambient: boolean, pods: number): KubeObject[] {
  return [
    ns('far', ambient ? { 'istio.io/dataplane-mode': 'ambient' } : {}),
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'back', namespace: 'far' },
      spec: { clusterIP: '10.96.0.2', ports: [{ name: 'http', port: 80 }], selector: { app: 'back' } },
    } as KubeObject,
    ...Array.from(
      { length: pods },
      (_, i) =>
        ({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: `back-${i}`, namespace: 'far', labels: { app: 'back', version: 'v1' } },
          spec: { nodeName: 'n' },
          status: { phase: 'Running', podIP: `10.244.1.${i + 1}` },
        }) as KubeObject,
    ),
    serviceRoute('front', 'app', 'front', 'back', 'far'),
    referenceGrant('from-app', 'far', 'app'),
  ];
}

function clusters(objects: KubeObject[]): J[] {
  const world = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(out, 'the waypoint is translated');
  return renderWaypoint(out).clusters as J[];
}

const byName = (cs: J[], name: string) => {
  const c = cs.find((x) => x.name === name);
  assert.ok(c, `cluster ${name} exists`);
  return c;
};
const istioOf = (c: J) => ((c.metadata as J).filterMetadata as J).istio as J;
const filterNames = (c: J) => ((c.filters as J[] | undefined) ?? []).map((f) => f.name);

describe('outbound cluster extras', () => {
  it('flag disable_mx when every endpoint of the port is in the mesh, nothing when one is not or there are none', () => {
    const inMesh = byName(clusters([...waypoint, ...backend(true, 2)]), 'outbound|80||back.far.svc.cluster.local');
    assert.equal(istioOf(inMesh).disable_mx, true);
    assert.deepEqual(filterNames(inMesh), ['istio.metadata_exchange']);
    for (const [ambient, pods] of [
      [false, 2],
      [true, 0],
    ] as const) {
      const c = byName(clusters([...waypoint, ...backend(ambient, pods)]), 'outbound|80||back.far.svc.cluster.local');
      assert.equal(istioOf(c).disable_mx, undefined, `ambient=${ambient} pods=${pods}`);
      assert.equal(istioOf(c).external, undefined, 'a Service is never mesh-external');
      assert.deepEqual(filterNames(c), ['istio.metadata_exchange']);
    }
  });

  it('give subset clusters the filter but no flag', () => {
    const rule: KubeObject = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'back', namespace: 'far' },
      spec: { host: 'back.far.svc.cluster.local', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
    } as KubeObject;
    const cs = clusters([...waypoint, ...backend(true, 2), rule]);
    assert.equal(istioOf(byName(cs, 'outbound|80||back.far.svc.cluster.local')).disable_mx, true);
    const subset = byName(cs, 'outbound|80|v1|back.far.svc.cluster.local');
    assert.equal(istioOf(subset).disable_mx, undefined);
    assert.deepEqual(filterNames(subset), ['istio.metadata_exchange']);
  });

  it('flag external for a ServiceEntry host no waypoint serves, unless its location is MESH_INTERNAL', () => {
    const entry = (location?: string): KubeObject =>
      ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'ServiceEntry',
        metadata: { name: 'api', namespace: 'ext' },
        spec: {
          hosts: ['api.example.com'],
          resolution: 'DNS',
          ports: [{ number: 443, name: 'tls', protocol: 'TLS' }],
          ...(location ? { location } : {}),
        },
      }) as KubeObject;
    const route = hostnameRoute('front', 'app', 'front', 'api.example.com', 443);
    const name = 'outbound|443||api.example.com';
    const base = [...waypoint, ns('ext')];
    assert.equal(istioOf(byName(clusters([...base, entry(), route]), name)).external, true);
    assert.equal(istioOf(byName(clusters([...base, entry('MESH_EXTERNAL'), route]), name)).external, true);
    assert.equal(istioOf(byName(clusters([...base, entry('MESH_INTERNAL'), route]), name)).external, undefined);
  });
});
