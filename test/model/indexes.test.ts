import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  applyChanges,
  EMPTY_WORLD,
  endpointSlicesOf,
  podsMatching,
  routesOfParent,
  type KubeObject,
  type World,
} from '../../src/model';

const pod = (name: string, ns: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
});
const slice = (name: string, svc: string): KubeObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name, namespace: 'a', labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
  }) as KubeObject;
const route = (kind: string, name: string, parents: Record<string, string>[]): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind,
  metadata: { name, namespace: 'a' },
  spec: { parentRefs: parents },
});
const build = (objects: KubeObject[], from: World = EMPTY_WORLD) =>
  applyChanges(
    from,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
const names = (os: readonly KubeObject[]) => os.map((o) => o.metadata.name);

describe('World indexes', () => {
  const world = build([
    pod('r1', 'a', { app: 'reviews', version: 'v1' }),
    pod('r2', 'a', { app: 'reviews', version: 'v2' }),
    pod('r2-other-ns', 'b', { app: 'reviews', version: 'v2' }),
    pod('d1', 'a', { app: 'details' }),
    slice('reviews-abc', 'reviews'),
    slice('reviews-def', 'reviews'),
    slice('details-abc', 'details'),
    route('HTTPRoute', 'h', [
      { group: '', kind: 'Service', name: 'reviews' },
      { kind: 'Service', name: 'reviews', port: '9080' },
    ]),
    route('GRPCRoute', 'g', [{ kind: 'Service', name: 'reviews', namespace: 'a' }]),
    route('TCPRoute', 't', [{ name: 'waypoint' }]),
  ]);

  it('finds the pods a selector picks, in one namespace', () => {
    assert.deepEqual(names(podsMatching(world, 'a', { app: 'reviews' })), ['r1', 'r2']);
    assert.deepEqual(names(podsMatching(world, 'a', { app: 'reviews', version: 'v2' })), ['r2']);
    assert.deepEqual(names(podsMatching(world, 'a', {})), [], 'an empty selector selects nothing');
    assert.deepEqual(names(podsMatching(world, 'c', { app: 'reviews' })), []);
  });

  it('finds the EndpointSlices of a Service', () => {
    assert.deepEqual(names(endpointSlicesOf(world, 'a', 'reviews')), ['reviews-abc', 'reviews-def']);
    assert.deepEqual(names(endpointSlicesOf(world, 'b', 'reviews')), []);
  });

  it('finds the routes of a parent, once each, with Gateway as the default parent kind', () => {
    assert.deepEqual(names(routesOfParent(world, 'Service/a/reviews')), ['h', 'g']);
    assert.deepEqual(names(routesOfParent(world, 'Gateway/a/waypoint')), ['t']);
  });

  it('rebuilds an index only when its kind changed', () => {
    const first = podsMatching(world, 'a', { app: 'details' });
    const next = build([slice('ratings-abc', 'ratings')], world);
    assert.equal(next.objects.Pod, world.objects.Pod);
    assert.equal(podsMatching(next, 'a', { app: 'details' })[0], first[0]);
    const moved = build([pod('d1', 'a', { app: 'ratings' })], world);
    assert.deepEqual(names(podsMatching(moved, 'a', { app: 'details' })), []);
    assert.deepEqual(names(podsMatching(moved, 'a', { app: 'ratings' })), ['d1']);
  });
});
