import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { routesWithoutWaypoint } from '../../src/cli/analyze-routes';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS } from '../../src/translate';

function routeTo(parent: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'app' },
    spec: { parentRefs: [{ name: 'reviews', kind: 'Service', ...parent }] },
  } as KubeObject;
}

function warned(route: KubeObject): string[] {
  const objects = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'reviews', namespace: 'app' },
      spec: { ports: [{ port: 80 }] },
    },
    route,
  ] as KubeObject[];
  const { world } = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  );
  const index = buildAmbientIndex(world, { ...DEFAULT_OPTIONS, assumeReady: true });
  return routesWithoutWaypoint(world, index).map((m) => `${m.kind} ${m.name}`);
}

describe('analyze: mesh routes on a Service without a waypoint', () => {
  it('warns for a core-group Service parent', () => {
    assert.deepEqual(warned(routeTo({ group: '' })), ['HTTPRoute r']);
    assert.deepEqual(warned(routeTo({ group: 'core' })), ['HTTPRoute r']);
  });

  it('reads a parentRef without a group as the Gateway API group (the CRD default), as the translator does', () => {
    assert.deepEqual(warned(routeTo({})), []);
  });
});
