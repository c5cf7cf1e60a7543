// AuthorizationPolicies reach the proxyless servers behind the Service they
// target, whichever way the reference spells the core group ("" or "core"),
// as they reach a waypoint's chains (model/refs.ts: isCoreServiceRef).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { buildProxylessIR } from '../../src/translate/proxyless/proxyless';

const policy = (name: string, group: string): KubeObject =>
  ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name, namespace: 'app' },
    spec: { targetRefs: [{ group, kind: 'Service', name: 'echo' }], action: 'DENY', rules: [{}] },
  }) as KubeObject;

describe('proxyless policies', () => {
  it('take a policy whose targetRef spells the core group "" or "core"', () => {
    const objects: KubeObject[] = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } },
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'echo', namespace: 'app' },
        spec: { clusterIP: '10.96.0.9', ports: [{ name: 'grpc', port: 7070 }], selector: { app: 'echo' } },
      } as KubeObject,
      policy('by-empty-group', ''),
      policy('by-core-group', 'core'),
    ];
    const world = applyChanges(
      EMPTY_WORLD,
      objects.map((object) => ({ op: 'upsert' as const, object })),
    ).world;
    const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
    const ir = buildProxylessIR(world, translateAll(world, opts).index, opts);
    const port = ir.services.find((s) => s.name === 'echo')?.ports[0];
    assert.deepEqual(
      port?.policies.map((p) => p.name),
      ['by-core-group', 'by-empty-group'],
    );
  });
});
