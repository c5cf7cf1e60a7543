import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PreparedResource } from '../../src/envoy';
import { SnapshotCache, type CacheChange } from '../../src/xds/cache';

const T = 'type.googleapis.com/istio.workload.Workload';
const res = (name: string, body: string) => new PreparedResource(T, name, Buffer.from(body));
const summary = (cs: readonly CacheChange[]) => cs.map((c) => `${c.key}:${[...c.names].sort().join(',')}`);

describe('cache: one map shared by many keys', () => {
  it('reports per key what changed for it, including keys that joined or held something else', () => {
    const cache = new SnapshotCache();
    assert.deepEqual(summary(cache.setShared(['w1', 'w2'], T, [res('a', '1'), res('b', '1')])), ['w1:a,b', 'w2:a,b']);
    assert.equal(cache.get('w1', T), cache.get('w2', T), 'one map');
    // w3 joins; w2 was given its own list in between.
    cache.set('w2', new Map([[T, [res('a', '1')]]]));
    assert.deepEqual(summary(cache.setShared(['w1', 'w2', 'w3'], T, [res('a', '2'), res('b', '1')])), [
      'w1:a',
      'w2:a,b',
      'w3:a,b',
    ]);
    assert.deepEqual(summary(cache.setShared(['w1', 'w2', 'w3'], T, [res('a', '2')])), ['w1:b', 'w2:b', 'w3:b']);
    assert.deepEqual(summary(cache.setShared(['w1', 'w2', 'w3'], T, [res('a', '2')])), [], 'nothing changed');
    assert.deepEqual([...cache.get('w3', T).keys()], ['a']);
  });
});
