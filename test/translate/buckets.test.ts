import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { PreparedResource } from '../../src/envoy';
import { BucketedView, bucketOf, type Patch } from '../../src/translate/buckets';

const C = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const res = (name: string, body: string) => new PreparedResource(C, name, Buffer.from(body));
const ranked = (rank: number, ...rs: PreparedResource[]) => bucketOf(new Map([[C, rs]]), rank);
const summary = (m: Map<string, Patch>) => {
  const p = m.get(C) ?? { upserts: [], removes: [] };
  return { put: p.upserts.map((r) => `${r.name}=${r.body.toString()}`).sort(), drop: [...p.removes].sort() };
};
const served = (v: BucketedView) =>
  v
    .all(C)
    .map((r) => `${r.name}=${r.body.toString()}`)
    .sort();

describe('bucketed view', () => {
  it('reports only what changed in the union of its buckets', () => {
    const v = new BucketedView();
    v.replace('ns1', ranked(0, res('a', '1'), res('b', '1')));
    v.replace('ns2', ranked(0, res('c', '1')));
    assert.deepEqual(summary(v.take()), { put: ['a=1', 'b=1', 'c=1'], drop: [] });
    v.replace('ns1', ranked(0, res('a', '2')));
    assert.deepEqual(summary(v.take()), { put: ['a=2'], drop: ['b'] });
    assert.deepEqual(summary(v.take()), { put: [], drop: [] }, 'taken once');
    v.replace('ns2', new Map());
    assert.deepEqual(summary(v.take()), { put: [], drop: ['c'] });
    assert.deepEqual([...v.bucketNames()], ['ns1']);
  });

  it("serves the highest rank, and falls back to another bucket's copy when one goes", () => {
    const v = new BucketedView();
    // ns1 refers to ns2's cluster (rank 0); ns2 owns it (rank 1), with TLS.
    v.replace('ns1', ranked(0, res('x', 'plain')));
    v.replace('ns2', ranked(1, res('x', 'tls')));
    assert.deepEqual(summary(v.take()), { put: ['x=tls'], drop: [] });
    // A rebuilt lower-ranked copy does not displace it.
    v.replace('ns1', ranked(0, res('x', 'plain2')));
    assert.deepEqual(summary(v.take()), { put: [], drop: [] });
    assert.deepEqual(served(v), ['x=tls']);
    // The owner goes: the reference is what is left.
    v.replace('ns2', new Map());
    assert.deepEqual(summary(v.take()), { put: ['x=plain2'], drop: [] });
    v.replace('ns1', new Map());
    assert.deepEqual(summary(v.take()), { put: [], drop: ['x'] });
  });

  it('a put then a drop of the same name in one step ends as a drop', () => {
    const v = new BucketedView();
    v.replace('ns1', ranked(0, res('a', '1')));
    v.take();
    v.replace('ns2', ranked(0, res('b', '1')));
    v.replace('ns2', new Map());
    v.replace('ns1', new Map());
    assert.deepEqual(summary(v.take()), { put: [], drop: ['a', 'b'] });
  });
});
