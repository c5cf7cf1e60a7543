import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { get, type Change, type KubeObject } from '../../src/model';
import { MemorySource } from '../../src/watch/memory';
import { ConfigStore } from '../../src/watch/store';

const ns = (name: string, labels: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
});
const tick = () => new Promise((r) => setImmediate(r));

describe('in-memory source', () => {
  it('delivers its initial objects on start, then every upsert and delete', async () => {
    const src = new MemorySource([ns('a')]);
    const seen: Change[][] = [];
    src.onChanges((c) => seen.push(c));
    assert.equal(src.synced, false);
    src.upsert(ns('early'));
    assert.equal(seen.length, 0, 'nothing is delivered before start');
    await src.start();
    assert.equal(src.synced, true);
    assert.deepEqual(
      seen.flat().map((c) => (c.op === 'upsert' ? c.object.metadata.name : c.name)),
      ['a', 'early'],
    );
    src.upsert(ns('a', { x: '1' }));
    src.delete(ns('early'));
    assert.deepEqual(seen.slice(1), [
      [{ op: 'upsert', object: ns('a', { x: '1' }) }],
      [{ op: 'delete', kind: 'Namespace', namespace: undefined, name: 'early' }],
    ]);
    assert.deepEqual(src.errors(), []);
    await src.stop();
  });

  it('feeds a ConfigStore like any other source', async () => {
    const src = new MemorySource();
    const store = new ConfigStore();
    store.attach(src);
    await src.start();
    src.upsert(ns('a', { 'istio.io/use-waypoint': 'wp' }));
    await tick();
    assert.equal(get(store.world, 'Namespace', undefined, 'a')?.metadata.labels?.['istio.io/use-waypoint'], 'wp');
    src.delete(ns('a'));
    await tick();
    assert.equal(get(store.world, 'Namespace', undefined, 'a'), undefined);
  });
});

describe('config store coalescing', () => {
  it('applies changes within the window as one batch: one World, the union of keys', async () => {
    const store = new ConfigStore(30);
    const batches: string[][] = [];
    const worlds = new Set<unknown>();
    store.subscribe((w, changed) => {
      worlds.add(w);
      batches.push([...changed].sort());
    });
    store.enqueue([{ op: 'upsert', object: ns('a') }]);
    await new Promise((r) => setTimeout(r, 5));
    store.enqueue([
      { op: 'upsert', object: ns('b') },
      { op: 'upsert', object: ns('a', { v: '2' }) },
    ]);
    const deadline = Date.now() + 2000;
    while (batches.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(batches, [['Namespace/a', 'Namespace/b']]);
    assert.equal(worlds.size, 1);
    assert.deepEqual(get(store.world, 'Namespace', undefined, 'a')?.metadata.labels, { v: '2' }, 'last write wins');
  });

  it('does not notify when a batch changes nothing', async () => {
    const store = new ConfigStore();
    store.enqueue([{ op: 'upsert', object: ns('a') }]);
    store.flush();
    let notified = 0;
    store.subscribe(() => notified++);
    store.enqueue([
      { op: 'upsert', object: ns('a') },
      { op: 'delete', kind: 'Namespace', name: 'missing' },
    ]);
    store.flush();
    assert.equal(notified, 0);
  });

  it("tells listeners when their batch's latest change arrived, and nothing outside a notification", async () => {
    let clock = 100;
    const store = new ConfigStore(0, () => clock);
    const seen: (number | undefined)[] = [];
    store.subscribe(() => seen.push(store.arrivedAt));
    store.enqueue([{ op: 'upsert', object: ns('a') }]);
    clock = 105;
    store.enqueue([{ op: 'upsert', object: ns('b') }]);
    clock = 180;
    await tick();
    assert.deepEqual(seen, [105], 'one batch, dated by its latest change, not by when it is applied');
    assert.equal(store.arrivedAt, undefined);
  });

  it('dates a batch by the latest arrival a source reports, never later than its delivery', async () => {
    const clock = 100;
    const store = new ConfigStore(0, () => clock);
    const seen: (number | undefined)[] = [];
    store.subscribe(() => seen.push(store.arrivedAt));
    store.enqueue([{ op: 'upsert', object: ns('a') }], 60);
    store.enqueue([{ op: 'upsert', object: ns('b') }], 80);
    store.enqueue([{ op: 'upsert', object: ns('c') }], 70);
    await tick();
    assert.deepEqual(seen, [80]);
    store.enqueue([{ op: 'upsert', object: ns('d') }], 500);
    await tick();
    assert.deepEqual(seen, [80, 100], 'a date in the future is taken as now');
  });
});
