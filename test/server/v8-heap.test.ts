// serve's periodic compaction: once armed, the next full GCs give back the
// holes a default full GC leaves committed, and it switches itself off again.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startHeapCompaction } from '../../src/server/v8-heap';
import { until } from '../support/until';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Committed but unused old-space bytes. */
function oldSpaceSlack(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!;
  return s.space_size - s.space_used_size;
}

// V8 sweeps concurrently after a full GC returns and nothing signals when it is
// done: the premise's measurement waits a moment for the page statistics to settle.
const settle = () => new Promise((r) => setTimeout(r, 50));

describe('heap compaction', () => {
  const compaction = startHeapCompaction({ everyMs: 3_600_000 });
  after(() => compaction.stop());

  it('returns the holes that a default full GC keeps committed', async () => {
    // Old-space pages half full of live objects: a default full GC keeps them all.
    let objects: { i: number; s: string }[] = [];
    for (let i = 0; i < 1_000_000; i++) objects.push({ i, s: `x${i}` });
    gc();
    gc();
    objects = objects.filter((_, i) => i % 2 === 0);
    gc();
    gc();
    await settle();
    const before = oldSpaceSlack();
    assert.ok(before > 16 * 2 ** 20, `premise: default GCs leave ${before >> 20} MiB of holes committed`);

    compaction.arm();
    assert.equal(compaction.pending, 2);
    gc();
    gc();
    // GC entries reach the observer after the GC: the round ends when it has seen both.
    await until(() => compaction.pending === 0, 'the round to see both full GCs', 5_000, 10);
    const afterCompaction = oldSpaceSlack();
    assert.ok(
      afterCompaction < before / 4,
      `holes: ${before >> 20} MiB before compaction, ${afterCompaction >> 20} MiB after`,
    );
    assert.equal(objects.length, 500_000);
  });

  it('switches itself off after two full GCs', async () => {
    compaction.arm();
    const rounds = compaction.rounds;
    gc();
    await until(() => compaction.pending === 1, 'the first full GC observed', 5_000, 10);
    gc();
    await until(() => compaction.pending === 0, 'the second full GC observed', 5_000, 10);
    compaction.arm();
    assert.equal(compaction.rounds, rounds + 1, 'armed again on request');
  });

  it('arms only after an idle period, and drops a round no full GC used', async () => {
    const c = startHeapCompaction({ everyMs: 100, armedForMs: 150 });
    try {
      // Busy: the event loop is blocked for most of every period.
      const busyUntil = Date.now() + 600;
      while (Date.now() < busyUntil) {
        const spin = Date.now() + 90;
        while (Date.now() < spin);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(c.rounds, 0, 'no round while busy');
      await until(() => c.rounds >= 1, 'a round armed once idle', 5_000, 10);
      const rounds = c.rounds;
      // No GC comes; the round lapses and the next idle period arms a new one.
      await until(() => c.rounds > rounds, 'a lapsed round followed by another', 5_000, 10);
    } finally {
      c.stop();
    }
  });
});
