import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeCounts, PreparedResource, TypeUrl, type TypeMap } from '../../src/envoy';
import type { Recipe } from '../../src/translate/recipe';
import { Reuse } from '../../src/translate/reuse';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];

const encodes = () => encodeCounts().get(TypeUrl.Cluster) ?? 0;

const recipe = (name: string, input: unknown, timeoutS = 1): Recipe<Cluster> => ({
  name,
  input,
  build: () => ({ name, connect_timeout: { seconds: timeoutS } }),
});

describe('Reuse', () => {
  it('keeps the last encoding of a resource whose input is unchanged, and counts only real encodes', () => {
    const first = new Reuse();
    const a = first.prepare('envoy.config.cluster.v3.Cluster', recipe('a', { t: 1, ip: Buffer.from([10, 0, 0, 1]) }));
    const b = first.prepare('envoy.config.cluster.v3.Cluster', recipe('b', { t: 1 }));
    const before = encodes();
    const second = new Reuse(first.next);
    // An equal input in new objects (bytes by content) is the same resource; a changed one is built again.
    const a2 = second.prepare('envoy.config.cluster.v3.Cluster', recipe('a', { t: 1, ip: Buffer.from([10, 0, 0, 1]) }));
    const b2 = second.prepare('envoy.config.cluster.v3.Cluster', recipe('b', { t: 2 }, 2));
    assert.equal(a2, a);
    assert.notEqual(b2.version, b.version);
    assert.equal(encodes() - before, 1);
    assert.deepEqual(
      second.next.get(TypeUrl.Cluster)?.resources.map((r) => r.name),
      ['a', 'b'],
    );
  });

  it('uses a recipe’s own encoding when it has one', () => {
    const direct = new Reuse().prepare('envoy.config.cluster.v3.Cluster', {
      ...recipe('c', null),
      encode: () => Buffer.from([0x0a, 0x01, 0x63]),
    });
    assert.deepEqual([...direct.body], [0x0a, 0x01, 0x63]);
  });

  it('reuses, for a rebuilt piece, what its slot made last time, and encodes only what changed', () => {
    const C = 'envoy.config.cluster.v3.Cluster';
    const recipes = (p: { t: number }) => [recipe('x-a', { a: 1 }), recipe('x-b', { t: p.t }, p.t)];
    const first = new Reuse();
    const [a, b] = first.group(C, { t: 1 }, 'x', recipes, null);
    const before = encodes();
    const second = new Reuse(first.next);
    // A new piece (the IR part was rebuilt) in the same slot: x-a is kept, x-b is built again.
    const [a2, b2] = second.group(C, { t: 2 }, 'x', recipes, null);
    assert.equal(a2, a);
    assert.notEqual(b2?.version, b?.version);
    assert.equal(encodes() - before, 1);
    // The same piece again in the next build is taken whole, nothing compared or encoded.
    const piece = { t: 3 };
    const third = new Reuse(second.next);
    const kept = third.group(C, piece, 'x', recipes, null);
    const fourth = new Reuse(third.next);
    const n = encodes();
    assert.equal(fourth.group(C, piece, 'x', recipes, null), kept);
    assert.equal(encodes(), n);
  });

  it('sorts by name, keeping the last order while names stay and the very list while nothing changed', () => {
    const r = (name: string, body = name) => new PreparedResource(TypeUrl.Cluster, name, Buffer.from(body));
    const [b, a, c] = [r('b'), r('a'), r('c')];
    const first = new Reuse();
    const s1 = first.sorted(TypeUrl.Cluster, [b, a, c]);
    assert.deepEqual(
      s1.map((x) => x.name),
      ['a', 'b', 'c'],
    );
    const second = new Reuse(first.next);
    assert.equal(second.sorted(TypeUrl.Cluster, [b, a, c]), s1, 'nothing changed: the same array');
    const a2 = r('a', 'a2');
    const third = new Reuse(second.next);
    const s3 = third.sorted(TypeUrl.Cluster, [b, a2, c]);
    assert.notEqual(s3, s1);
    assert.deepEqual(s3, [a2, b, c]);
    const fourth = new Reuse(third.next);
    assert.deepEqual(
      fourth.sorted(TypeUrl.Cluster, [c, r('0'), b]).map((x) => x.name),
      ['0', 'b', 'c'],
      'names moved: sorted again',
    );
  });
});
