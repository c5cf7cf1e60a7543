import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject, type VirtualService } from '../../src/model';
import { exportBucket, hostsMatch } from '../../src/translate/route/vs-select';
import { defaultVirtualServiceExportTo } from '../../src/translate/route/vs-export';

const vs = (namespace: string, exportTo?: string[]): VirtualService => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'v', namespace },
  spec: { hosts: ['a'], ...(exportTo ? { exportTo } : {}) },
});

describe('VirtualService selection for a waypoint', () => {
  it('buckets by exportTo as push_context.go: initVirtualServices indexes them', () => {
    // [exportTo, VirtualService namespace, waypoint namespace, bucket]
    const cases: [string[] | undefined, string, string, number | undefined][] = [
      [undefined, 'app', 'infra', 2],
      [['*'], 'app', 'infra', 2],
      [['.'], 'infra', 'infra', 0],
      [['.'], 'app', 'infra', undefined],
      [['infra'], 'app', 'infra', 1],
      [['infra', '*'], 'app', 'infra', 2],
      [['~'], 'infra', 'infra', undefined],
      [['other'], 'app', 'infra', undefined],
    ];
    for (const [to, ns, wp, want] of cases) assert.equal(exportBucket(vs(ns, to), wp), want, `${to} ${ns}→${wp}`);
    assert.equal(exportBucket(vs('app'), 'infra', ['.']), undefined, 'the mesh default applies when none is written');
    assert.equal(exportBucket(vs('infra'), 'infra', ['.']), 0);
  });

  it('reads the mesh default from the mesh config', () => {
    const world = applyChanges(EMPTY_WORLD, [
      {
        op: 'upsert',
        object: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio', namespace: 'istio-system' },
          data: { mesh: 'defaultVirtualServiceExportTo: ["."]\n' },
        } as KubeObject,
      },
    ]).world;
    assert.deepEqual(defaultVirtualServiceExportTo(world, 'istio-system'), ['.']);
    assert.deepEqual(defaultVirtualServiceExportTo(EMPTY_WORLD, 'istio-system'), ['*']);
  });

  it('matches hosts as host.Name.Matches does', () => {
    assert.ok(hostsMatch('*.app.svc.cluster.local', 'echo.app.svc.cluster.local'));
    assert.ok(hostsMatch('echo.app.svc.cluster.local', '*.svc.cluster.local'));
    assert.ok(hostsMatch('*.cluster.local', '*.svc.cluster.local'));
    assert.ok(!hostsMatch('*.other.svc.cluster.local', 'echo.app.svc.cluster.local'));
    assert.ok(!hostsMatch('echo.app.svc.cluster.local', 'echo2.app.svc.cluster.local'));
  });
});
