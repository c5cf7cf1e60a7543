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

describe('cache: patches', () => {
  it('puts and drops named resources of one type, reporting only real changes', () => {
    const cache = new SnapshotCache();
    cache.set('z', new Map([[T, [res('a', '1'), res('b', '1')]]]));
    const given = cache.get('z', T);
    assert.deepEqual(summary(cache.patch('z', T, [res('a', '1'), res('c', '1')], ['b', 'gone'])), ['z:b,c']);
    assert.deepEqual([...given.keys()], ['a', 'b'], 'the map given out is unchanged');
    assert.deepEqual(cache.patch('z', T, [res('a', '1')], []), [], 'the same version is no change');
    assert.deepEqual([...cache.get('z', T).keys()].sort(), ['a', 'c']);
    assert.deepEqual(summary(cache.patch('z', T, [], ['a', 'c'])), ['z:a,c']);
    assert.equal(cache.get('z', T).size, 0);
    assert.deepEqual(cache.keys(), [], 'an emptied key is gone');
  });

  it('patches a shared map once, and never through one of its keys', () => {
    const cache = new SnapshotCache();
    cache.setShared(['w1', 'w2'], T, [res('a', '1'), res('b', '1')]);
    const given = cache.get('w1', T);
    assert.deepEqual(summary(cache.patchShared(['w1', 'w2', 'w3'], T, [res('a', '2')], ['b'])), [
      'w1:a,b',
      'w2:a,b',
      'w3:a',
    ]);
    // A map once given out never changes: a stream may keep it as what it holds.
    assert.deepEqual(
      [...given].map(([n, r]) => `${n}@${r.body.toString()}`),
      ['a@1', 'b@1'],
    );
    const shared = cache.get('w1', T);
    assert.equal(cache.get('w3', T), shared, 'the newcomer shares the map');
    assert.deepEqual(summary(cache.patchShared(['w1', 'w2', 'w3'], T, [res('a', '2')], [])), [], 'nothing changed');
    assert.equal(cache.get('w1', T), shared, 'and the map stays the same');
    // A patch of one key copies it: the others keep the shared map as it was.
    cache.patch('w1', T, [res('x', '1')], []);
    assert.deepEqual([...cache.get('w1', T).keys()].sort(), ['a', 'x']);
    assert.deepEqual([...cache.get('w2', T).keys()], ['a']);
    assert.equal(cache.get('w2', T), shared);
    // w1 no longer holds the shared map, so it is diffed against it.
    assert.deepEqual(summary(cache.patchShared(['w1', 'w2'], T, [res('b', '1')], [])), ['w1:b,x', 'w2:b']);
  });
});

describe('cache: set from the lists it was last given', () => {
  it('skips a list given again, puts only the places that changed, and diffs names that moved', () => {
    const cache = new SnapshotCache();
    const first = [res('a', '1'), res('b', '1'), res('c', '1')];
    assert.deepEqual(summary(cache.set('w', new Map([[T, first]]))), ['w:a,b,c']);
    const given = cache.get('w', T);
    const last = new Map([[T, first]]);
    assert.deepEqual(cache.set('w', new Map([[T, first]]), last), [], 'the same list is no change');
    assert.equal(cache.get('w', T), given, 'and keeps its map');
    // b rebuilt at the same version (equal bytes) is no change either.
    const same = [first[0]!, res('b', '1'), first[2]!];
    assert.deepEqual(cache.set('w', new Map([[T, same]]), last), []);
    const edited = [first[0]!, res('b', '2'), first[2]!];
    assert.deepEqual(summary(cache.set('w', new Map([[T, edited]]), last)), ['w:b']);
    assert.deepEqual(
      [...given.values()].map((r) => r.version),
      first.map((r) => r.version),
      'a map given out stays',
    );
    assert.equal(cache.get('w', T).get('b')?.version, edited[1]!.version);
    // A name added, dropped or moved: the whole list is diffed.
    const moved = [edited[0]!, res('d', '1'), edited[2]!];
    assert.deepEqual(summary(cache.set('w', new Map([[T, moved]]), new Map([[T, edited]]))), ['w:b,d']);
    assert.deepEqual([...cache.get('w', T).keys()].sort(), ['a', 'c', 'd']);
    // After the key is deleted, `last` no longer describes it: everything is put again.
    cache.delete('w');
    assert.deepEqual(summary(cache.set('w', new Map([[T, moved]]), new Map([[T, moved]]))), ['w:a,c,d']);
  });
});
