import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PUSH_ORDER, type PreparedResource } from '../../src/envoy';
import { ServeStep } from '../../src/server/pipeline-step';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../../src/translate';
import { SnapshotCache } from '../../src/xds';
import { buildFloor } from '../../bench/floor';
import { meshWorld } from '../../bench/translate-bench';

describe("W1's floor", () => {
  const opts = { ...DEFAULT_OPTIONS, assumeReady: true };
  const cache = new SnapshotCache();
  new ServeStep(new IncrementalTranslator(opts), cache, opts).run(meshWorld(200), 'all');
  const resources = new Set<PreparedResource>();
  for (const key of cache.keys())
    for (const t of PUSH_ORDER) for (const r of cache.get(key, t).values()) resources.add(r);

  it('writes, byte for byte, every resource serve puts in the cache', () => {
    const list = [...resources];
    const types = new Set(list.map((r) => r.typeUrl));
    // Waypoint types and the workload API both.
    assert.ok(types.size >= 6, [...types].join(', '));
    const floor = buildFloor(list);
    assert.equal(floor.differing(floor.run()), 0);
  });

  it('counts a resource whose bytes it does not reproduce', () => {
    const list = [...resources].slice(0, 10);
    const floor = buildFloor(list);
    const out = floor.run();
    out[3] = Buffer.concat([Buffer.from(out[3]!), Buffer.from([0])]);
    assert.equal(floor.differing(out), 1);
  });
});
