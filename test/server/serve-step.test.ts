// The step serve runs after each change: ztunnel's addresses and every
// waypoint's Workload list match a fresh build after pod, route and
// namespace changes, and after a waypoint goes away and comes back.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { nsName, svcName } from '../../bench/mesh';
import { meshWorld } from '../../bench/translate-bench';
import { ServeStep } from '../../src/server/pipeline-step';
import { ZTUNNEL_KEY } from '../../src/server/proxy-key';
import { TypeUrl } from '../../src/envoy';
import { applyChanges, get, type Change, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../../src/translate';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';
import { SnapshotCache } from '../../src/xds';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

describe('serve step', () => {
  let world = meshWorld(200);
  const translator = new IncrementalTranslator(OPTS);
  const cache = new SnapshotCache();
  const step = new ServeStep(translator, cache, OPTS);
  const gateway = get(world, 'Gateway', nsName(1), 'waypoint') as KubeObject;
  const run = (changes: Change[]) => {
    const r = applyChanges(world, changes);
    world = r.world;
    return step.run(world, r.changed).step;
  };
  // Order is not part of the view: a client holds a set of named resources.
  const ids = (rs: Iterable<{ name: string; version: string }>) => [...rs].map((r) => `${r.name}@${r.version}`).sort();
  const expectCurrent = (keys: string[]) => {
    const fresh = buildWorkloadApi(world, translator.index!, OPTS);
    const want = ids(fresh.get(TypeUrl.Workload) ?? []);
    assert.deepEqual(
      ids(cache.get(ZTUNNEL_KEY, TypeUrl.Address).values()),
      ids(fresh.get(TypeUrl.Address) ?? []),
      'ztunnel addresses',
    );
    for (const key of keys) assert.deepEqual(ids(cache.get(key, TypeUrl.Workload).values()), want, key);
  };

  it('gives every waypoint the Workload list, and keeps it current', () => {
    step.run(world, 'all');
    const waypoints = [`${nsName(0)}/waypoint`, `${nsName(1)}/waypoint`];
    expectCurrent(waypoints);
    const pod = get(world, 'Pod', nsName(0), `${svcName(1)}-0`) as KubeObject & { status: object };
    run([
      {
        op: 'upsert',
        object: { ...pod, status: { ...pod.status, podIP: '10.250.1.1', podIPs: [{ ip: '10.250.1.1' }] } },
      },
    ]);
    expectCurrent(waypoints);
    const route = get(world, 'HTTPRoute', nsName(0), svcName(1)) as KubeObject & { spec: object };
    run([{ op: 'upsert', object: { ...route, spec: { ...route.spec, rules: [] } } }]);
    expectCurrent(waypoints);
    // The namespace leaves ambient: its pods' tunnel protocol changes, the other namespace's does not.
    const ns = get(world, 'Namespace', undefined, nsName(1)) as KubeObject;
    run([{ op: 'upsert', object: { ...ns, metadata: { ...ns.metadata, labels: {} } } }]);
    expectCurrent(waypoints);
    run([{ op: 'upsert', object: ns }]);
    expectCurrent(waypoints);
  });

  it('gives a waypoint that went away and came back the list again', () => {
    const gone = run([{ op: 'delete', kind: 'Gateway', namespace: nsName(1), name: 'waypoint' }]);
    assert.deepEqual(gone.removed, [`${nsName(1)}/waypoint`]);
    assert.equal(cache.get(`${nsName(1)}/waypoint`, TypeUrl.Workload).size, 0);
    run([{ op: 'upsert', object: gateway }]);
    expectCurrent([`${nsName(0)}/waypoint`, `${nsName(1)}/waypoint`]);
  });
});
