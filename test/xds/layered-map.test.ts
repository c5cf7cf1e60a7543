import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { rng } from '../../bench/mesh';
import { LayeredMap } from '../../src/xds/layered-map';

const sorted = (m: ReadonlyMap<string, number>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('layered map', () => {
  it('reads like the map it stands for through random patches, and old snapshots never change', () => {
    const random = rng(5);
    const reference = new Map<string, number>();
    for (let i = 0; i < 500; i++) reference.set(`k${i}`, i);
    let m: ReadonlyMap<string, number> = LayeredMap.patch(new Map(reference), [], []);
    const snapshots: [ReadonlyMap<string, number>, [string, number][]][] = [];
    for (let step = 0; step < 400; step++) {
      const set: [string, number][] = [];
      const remove: string[] = [];
      for (let n = 1 + Math.floor(random() * 5); n > 0; n--) {
        const k = `k${Math.floor(random() * 700)}`;
        if (random() < 0.3) remove.push(k);
        else set.push([k, step]);
      }
      m = LayeredMap.patch(m, set, remove);
      for (const k of remove) reference.delete(k);
      for (const [k, v] of set) reference.set(k, v);
      assert.equal(m.size, reference.size, `size, step ${step}`);
      assert.deepEqual(sorted(m), sorted(reference), `entries, step ${step}`);
      for (const k of ['k1', 'k650', ...remove, ...set.map(([k]) => k)]) {
        assert.equal(m.get(k), reference.get(k), `get ${k}, step ${step}`);
        assert.equal(m.has(k), reference.has(k), `has ${k}, step ${step}`);
      }
      if (step % 50 === 0) snapshots.push([m, sorted(m)]);
    }
    for (const [snap, was] of snapshots) assert.deepEqual(sorted(snap), was, 'a snapshot stays as it was');
  });

  it('a name both put and removed in one patch ends up put; removing the absent is nothing', () => {
    const m = LayeredMap.patch(new Map([['a', 1]]), [['b', 2]], ['b', 'zzz']);
    assert.deepEqual(sorted(m), [
      ['a', 1],
      ['b', 2],
    ]);
    assert.equal(m.size, 2);
  });
});
