import { strict as assert } from 'node:assert';
import { describe, it, mock } from 'node:test';
import { PushQueue, type PushBatch } from '../../src/xds/push-queue';

describe('push debounce', () => {
  it('waits for a quiet period, merges keys and types, and caps the wait', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      const batches: PushBatch[] = [];
      const q = new PushQueue(
        { quietMs: 100, maxMs: 1000 },
        (b) => batches.push(b),
        () => 0,
      );
      q.add([{ key: 'w1', typeUrl: 'CDS', names: new Set(['a']) }]);
      mock.timers.tick(50);
      q.add([
        { key: 'w1', typeUrl: 'RDS', names: new Set(['r']) },
        { key: 'w2', typeUrl: 'EDS', names: new Set(['e']) },
      ]);
      mock.timers.tick(99);
      assert.equal(batches.length, 0, 'a new change restarts the quiet period');
      mock.timers.tick(1);
      assert.equal(batches.length, 1);
      assert.deepEqual([...batches[0]!.get('w1')!.types].sort(), ['CDS', 'RDS']);
      assert.deepEqual([...batches[0]!.get('w2')!.types], ['EDS']);
      // A steady trickle never goes quiet: the max wait flushes it.
      for (let i = 0; i < 20; i++) {
        q.add([{ key: 'w3', typeUrl: 'CDS', names: new Set([String(i)]) }]);
        mock.timers.tick(60);
      }
      assert.equal(batches.length, 2);
      assert.ok(batches[1]!.has('w3'));
      q.close();
    } finally {
      mock.timers.reset();
    }
  });

  it('counts the quiet period from when the change arrived, so time spent translating it is not added', () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let clock = 1000;
      const batches: PushBatch[] = [];
      const q = new PushQueue(
        { quietMs: 100, maxMs: 1000 },
        (b) => batches.push(b),
        () => clock,
      );
      // The change arrived at 1000 and took 30 ms to translate.
      clock = 1030;
      q.add([{ key: 'w1', typeUrl: 'RDS', names: new Set(['r']) }], 1000);
      mock.timers.tick(69);
      assert.equal(batches.length, 0);
      mock.timers.tick(1);
      assert.equal(batches.length, 1, 'flushed 100 ms after the arrival, 70 ms after the cache changed');
      assert.equal(batches[0]!.get('w1')!.since, 1000);
      // A translation longer than the quiet period flushes as soon as it is done.
      clock = 2200;
      q.add([{ key: 'w2', typeUrl: 'CDS', names: new Set(['c']) }], 2000);
      mock.timers.tick(0);
      assert.equal(batches.length, 2);
      // A later arrival still restarts the quiet period.
      clock = 3010;
      q.add([{ key: 'w3', typeUrl: 'CDS', names: new Set(['c']) }], 3000);
      clock = 3080;
      mock.timers.tick(70);
      q.add([{ key: 'w3', typeUrl: 'EDS', names: new Set(['e']) }], 3060);
      mock.timers.tick(79);
      assert.equal(batches.length, 2, 'quiet until 100 ms after the latest arrival');
      mock.timers.tick(1);
      assert.equal(batches.length, 3);
      q.close();
    } finally {
      mock.timers.reset();
    }
  });
});
