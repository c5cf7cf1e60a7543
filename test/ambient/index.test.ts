import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex, isEnrolled, updateAmbientIndex, type AmbientIndex } from '../../src/ambient';
import { applyChanges, get, type Change, type KubeObject, type Pod } from '../../src/model';
import { gw, ns, pod, svc, worldOf } from './fixtures';

const USE = 'istio.io/use-waypoint';
const names = (os: KubeObject[]) => os.map((o) => o.metadata.name);

describe('ambient enrollment', () => {
  const cases: [string, Record<string, string>, Record<string, string>, Record<string, string>, boolean][] = [
    ['namespace label', { 'istio.io/dataplane-mode': 'ambient' }, {}, {}, true],
    ['pod label', {}, { 'istio.io/dataplane-mode': 'ambient' }, {}, true],
    [
      'none on the pod beats the namespace',
      { 'istio.io/dataplane-mode': 'ambient' },
      { 'istio.io/dataplane-mode': 'none' },
      {},
      false,
    ],
    ["istiod's redirection annotation", {}, {}, { 'ambient.istio.io/redirection': 'enabled' }, true],
    ['nothing', {}, {}, {}, false],
  ];
  for (const [title, nsLabels, podLabels, annotations, want] of cases) {
    it(title, () => {
      const world = worldOf([ns('a', nsLabels), pod('p', 'a', podLabels, annotations)]);
      assert.equal(isEnrolled(get(world, 'Pod', 'a', 'p')!, world), want);
    });
  }
});

describe('ambient index lookups', () => {
  const world = worldOf([
    // Selector applies to the waypoint's own namespace too.
    ns('a', { [USE]: 'wp', team: 'x' }),
    gw('wp', 'a', { from: 'Selector', selector: { team: 'x' } }),
    gw('pods', 'a', { for: 'workload', ready: false }),
    svc('s2', 'a', {}, { app: 's' }),
    svc('s1', 'a', {}, { app: 's' }),
    pod('s-1', 'a', { app: 's' }),
    pod('s-2', 'a', { app: 's', [USE]: 'pods' }),
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 's2-abc', namespace: 'a', labels: { 'kubernetes.io/service-name': 's2' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.1.0.2'], targetRef: { kind: 'Pod', name: 's-2' } }],
    } as KubeObject,
  ]);
  const index = buildAmbientIndex(world);

  it('lists waypoints in key order with their traffic type, readiness and admission', () => {
    assert.deepEqual(
      [...index.waypoints.values()].map((w) => [w.key, w.trafficType, w.ready, w.allowed.from]),
      [
        ['a/pods', 'workload', false, 'Same'],
        ['a/wp', 'service', true, 'Selector'],
      ],
    );
    assert.deepEqual(index.waypoints.get('a/wp')?.allowed.selector, { matchLabels: { team: 'x' } });
  });

  it('answers which waypoint serves an object and what a waypoint serves', () => {
    assert.equal(index.waypointFor('Service/a/s1')?.key, 'a/wp');
    assert.equal(index.waypointFor('Pod/a/s-1'), undefined);
    assert.deepEqual(names(index.servicesOf('a/wp')), ['s1', 's2']);
    assert.deepEqual(names(index.workloadsOf('a/pods')), [], 'a waypoint that is not ready serves nothing');
    assert.equal(index.bindings.get('Pod/a/s-2')?.kind, 'unbound');
  });

  it('finds the pods behind a service: EndpointSlices when it has them, else its selector', () => {
    assert.deepEqual(names(index.podsOf('Service/a/s1')), ['s-1', 's-2']);
    assert.deepEqual(names(index.podsOf('Service/a/s2')), ['s-2']);
    assert.deepEqual(index.podsOf('Service/a/nope'), []);
  });
});

describe('incremental index update', () => {
  const summary = (i: AmbientIndex) => ({
    waypoints: [...i.waypoints.keys()],
    bindings: [...i.bindings.entries()],
    served: [...i.waypoints.keys()].map((k) => [k, names(i.servicesOf(k)), names(i.workloadsOf(k))]),
  });
  const base = [
    ns('a', { [USE]: 'wp' }),
    ns('b'),
    gw('wp', 'a', { for: 'all' }),
    gw('other', 'a'),
    svc('s', 'a'),
    svc('t', 'b'),
    pod('p', 'a'),
    pod('q', 'b'),
  ];
  const steps: [string, Change[]][] = [
    [
      'an unrelated object',
      [
        {
          op: 'upsert',
          object: {
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'HTTPRoute',
            metadata: { name: 'r', namespace: 'a' },
            spec: {},
          },
        },
      ],
    ],
    ['a service label', [{ op: 'upsert', object: svc('s', 'a', { [USE]: 'other' }) }]],
    ['a new pod', [{ op: 'upsert', object: pod('p2', 'a') }]],
    ['a deleted pod', [{ op: 'delete', kind: 'Pod', namespace: 'a', name: 'p' }]],
    ['a namespace label', [{ op: 'upsert', object: ns('b', { [USE]: 'wp', 'istio.io/use-waypoint-namespace': 'a' }) }]],
    ['a waypoint admitting all namespaces', [{ op: 'upsert', object: gw('wp', 'a', { for: 'all', from: 'All' }) }]],
    ['a deleted waypoint', [{ op: 'delete', kind: 'Gateway', namespace: 'a', name: 'other' }]],
  ];

  it('gives the same index as a full rebuild after each kind of change', () => {
    let world = worldOf(base);
    let index = buildAmbientIndex(world);
    for (const [what, changes] of steps) {
      const r = applyChanges(world, changes);
      world = r.world;
      index = updateAmbientIndex(index, world, r.changed);
      assert.deepEqual(summary(index), summary(buildAmbientIndex(world)), what);
    }
    assert.equal(index.bindings.get('Service/b/t')?.kind, 'bound', 'the scenario ends with a cross-namespace binding');
  });

  it('keeps the waypoints when only a pod changed', () => {
    const world = worldOf(base);
    const index = buildAmbientIndex(world);
    const r = applyChanges(world, [{ op: 'upsert', object: pod('p', 'a', { v: '2' }) }]);
    const next = updateAmbientIndex(index, r.world, r.changed);
    assert.equal(next.waypoints, index.waypoints);
    assert.equal((next.workloadsOf('a/wp')[0] as Pod).metadata.labels?.v, '2');
  });
});
