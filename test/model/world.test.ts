import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const svc = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'a' },
  spec: { ports: [{ port: 80 }] },
});

describe('World', () => {
  it('shares structure: an update leaves every other table and object the same reference', () => {
    const w1 = applyChanges(
      EMPTY_WORLD,
      [ns('a'), ns('b'), svc('x'), svc('y')].map((object) => ({ op: 'upsert' as const, object })),
    ).world;
    const { world: w2, changed } = applyChanges(w1, [{ op: 'upsert', object: ns('a', { l: '1' }) }]);
    assert.deepEqual([...changed], ['Namespace/a']);
    assert.equal(w2.objects.Service, w1.objects.Service, 'untouched kind keeps its table');
    assert.equal(
      w2.objects.Namespace?.get('Namespace/b'),
      w1.objects.Namespace?.get('Namespace/b'),
      'untouched object keeps its identity',
    );
    assert.notEqual(w2.objects.Namespace, w1.objects.Namespace);
    assert.ok(Object.isFrozen(w2), 'worlds are frozen');
    assert.ok(Object.isFrozen(w2.objects), 'their table of tables too');
    const a = w2.objects.Namespace?.get('Namespace/a');
    assert.ok(a && Object.isFrozen(a) && Object.isFrozen(a.metadata), 'and objects, deeply');
  });

  it('applies a batch in order: each change is compared with the one before it in the batch', () => {
    const w1 = applyChanges(EMPTY_WORLD, [
      { op: 'upsert', object: ns('a', { v: '1' }) },
      { op: 'upsert', object: svc('x') },
    ]).world;
    // Deleted and re-created with the same content (a file rename, a relist): it is still there.
    const back = applyChanges(w1, [
      { op: 'delete', kind: 'Service', namespace: 'a', name: 'x' },
      { op: 'upsert', object: svc('x') },
    ]);
    assert.deepEqual(back.world.objects.Service?.get('Service/a/x'), svc('x'));
    // Changed and changed back: the last word holds.
    const undone = applyChanges(w1, [
      { op: 'upsert', object: ns('a', { v: '2' }) },
      { op: 'upsert', object: ns('a', { v: '1' }) },
    ]);
    assert.deepEqual(undone.world.objects.Namespace?.get('Namespace/a')?.metadata.labels, { v: '1' });
  });

  it('does not count an identical re-delivery as a change, and reports deletions', () => {
    const w1 = applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: svc('x') }]).world;
    const same = applyChanges(w1, [{ op: 'upsert', object: svc('x') }]);
    assert.equal(same.changed.size, 0);
    assert.equal(same.world, w1);
    const del = applyChanges(w1, [{ op: 'delete', kind: 'Service', namespace: 'a', name: 'x' }]);
    assert.deepEqual([...del.changed], ['Service/a/x']);
  });
});

describe('World structural sharing at scale', () => {
  it('an update or delete of one object keeps every other object and table identical', () => {
    const objects: KubeObject[] = [];
    for (let i = 0; i < 50; i++) objects.push(ns(`n${i}`), svc(`s${i}`));
    const w1 = applyChanges(
      EMPTY_WORLD,
      objects.map((object) => ({ op: 'upsert' as const, object })),
    ).world;
    const { world: w2 } = applyChanges(w1, [
      { op: 'upsert', object: { ...svc('s7'), spec: { ports: [{ port: 81 }] } } },
      { op: 'delete', kind: 'Service', namespace: 'a', name: 's8' },
    ]);
    assert.equal(w2.objects.Namespace, w1.objects.Namespace);
    const before = w1.objects.Service!;
    const after = w2.objects.Service!;
    assert.notEqual(after, before);
    for (const [key, o] of before) {
      if (key === 'Service/a/s7') assert.notEqual(after.get(key), o);
      else if (key === 'Service/a/s8') assert.equal(after.get(key), undefined);
      else assert.equal(after.get(key), o, key);
    }
    assert.equal(w2.generation, w1.generation + 1);
  });
});
