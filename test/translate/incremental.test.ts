import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../../src/translate';
import { TypeUrl } from '../../src/envoy';

const ns = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
});
const gw = (namespace: string): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
});
const svc = (name: string, namespace: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { clusterIP: ip, selector: { app: name }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
});
const pod = (name: string, namespace: string, app: string, ip: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app } },
  spec: {},
  status: { podIP: ip, phase: 'Running' },
});
const route = (namespace: string, weight: number): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'a' }],
    rules: [
      {
        backendRefs: [
          { name: 'a', port: 80, weight },
          { name: 'b', port: 80, weight: 100 - weight },
        ],
      },
    ],
  },
});

describe('incremental translation', () => {
  const objects = [
    ns('one'),
    ns('two'),
    gw('one'),
    gw('two'),
    svc('a', 'one', '10.0.1.1'),
    svc('b', 'one', '10.0.1.2'),
    svc('a', 'two', '10.0.2.1'),
    svc('b', 'two', '10.0.2.2'),
    pod('a-1', 'one', 'a', '10.1.1.1'),
    pod('a-1', 'two', 'a', '10.1.2.1'),
    route('one', 90),
    route('two', 90),
  ];
  const t = new IncrementalTranslator({ ...DEFAULT_OPTIONS, assumeReady: true });
  let world = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
  const apply = (object: KubeObject) => {
    const r = applyChanges(world, [{ op: 'upsert', object }]);
    world = r.world;
    return t.update(world, r.changed);
  };
  const bytesOf = (key: string, type: string) =>
    (t.outputs.get(key)?.resources.get(type) ?? []).map((r) => r.version).join(',');

  it('translates every waypoint at first', () => {
    assert.deepEqual(t.update(world, 'all').translated.sort(), ['one/waypoint', 'two/waypoint']);
  });

  it('re-translates only the waypoint that read an edited route, and only its routes change', () => {
    const before = {
      cds: bytesOf('one/waypoint', TypeUrl.Cluster),
      lds: bytesOf('one/waypoint', TypeUrl.Listener),
      rds: bytesOf('one/waypoint', TypeUrl.Route),
    };
    const step = apply(route('one', 50));
    assert.deepEqual(step.translated, ['one/waypoint']);
    assert.equal(bytesOf('one/waypoint', TypeUrl.Cluster), before.cds);
    assert.equal(bytesOf('one/waypoint', TypeUrl.Listener), before.lds);
    assert.notEqual(bytesOf('one/waypoint', TypeUrl.Route), before.rds);
  });

  it('keeps the encoded resources whose input did not change: a route edit re-encodes only route configs', () => {
    const before = t.outputs.get('one/waypoint')!.resources;
    apply(route('one', 40));
    const after = t.outputs.get('one/waypoint')!.resources;
    for (const type of [TypeUrl.Endpoint, TypeUrl.Listener])
      assert.deepEqual(
        after.get(type)!.map((r, i) => r === before.get(type)![i]),
        before.get(type)!.map(() => true),
        type,
      );
    assert.ok(
      after.get(TypeUrl.Route)!.some((r, i) => r !== before.get(TypeUrl.Route)![i]),
      'the edited route config is new',
    );
  });

  it('moves a pod: one waypoint, endpoints only', () => {
    const before = {
      cds: bytesOf('two/waypoint', TypeUrl.Cluster),
      rds: bytesOf('two/waypoint', TypeUrl.Route),
      eds: bytesOf('two/waypoint', TypeUrl.Endpoint),
    };
    const step = apply(pod('a-1', 'two', 'a', '10.1.2.99'));
    assert.deepEqual(step.translated, ['two/waypoint']);
    assert.equal(bytesOf('two/waypoint', TypeUrl.Cluster), before.cds);
    assert.equal(bytesOf('two/waypoint', TypeUrl.Route), before.rds);
    assert.notEqual(bytesOf('two/waypoint', TypeUrl.Endpoint), before.eds);
  });

  it('a change nobody read translates nothing', () => {
    assert.deepEqual(apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'unrelated' } }).translated, []);
  });

  it('a new service bound to a waypoint re-translates that waypoint', () => {
    assert.deepEqual(apply(svc('c', 'two', '10.0.2.3')).translated, ['two/waypoint']);
  });
});
