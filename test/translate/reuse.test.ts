import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeCounts, TypeUrl, type TypeMap } from '../../src/envoy';
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
});
