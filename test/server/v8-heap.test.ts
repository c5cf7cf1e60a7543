// serve's periodic compaction: once armed, the next full GCs give back the
// holes a default full GC leaves committed, and it switches itself off again.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startHeapCompaction } from '../../src/server/v8-heap';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Committed but unused old-space bytes. */
function oldSpaceSlack(): number {
  const s = getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!;
  return s.space_size - s.space_used_size;
}

const nextTurn = () => new Promise((r) => setTimeout(r, 50));

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
    await nextTurn();
    const before = oldSpaceSlack();
    assert.ok(before > 16 * 2 ** 20, `premise: default GCs leave ${before >> 20} MiB of holes committed`);

    compaction.arm();
    assert.equal(compaction.pending, 2);
    gc();
    gc();
    await nextTurn();
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
    await nextTurn();
    assert.equal(compaction.pending, 1);
    gc();
    await nextTurn();
    assert.equal(compaction.pending, 0);
    compaction.arm();
    assert.equal(compaction.rounds, rounds + 1, 'armed again on request');
  });

  it('arms only after an idle period, and drops a round no full GC used', async () => {
    const c = startHeapCompaction({ everyMs: 100, armedForMs: 150 });
    try {
      // Busy: the event loop is blocked for most of every period.
      const until = Date.now() + 600;
      while (Date.now() < until) {
        const spin = Date.now() + 90;
        while (Date.now() < spin);
        await new Promise((r) => setImmediate(r));
      }
      assert.equal(c.rounds, 0, 'no round while busy');
      await new Promise((r) => setTimeout(r, 250));
      assert.ok(c.rounds >= 1, 'armed once idle');
      const rounds = c.rounds;
      // No GC comes; the round lapses and the next idle period arms a new one.
      await new Promise((r) => setTimeout(r, 400));
      assert.ok(c.rounds > rounds, `a lapsed round is followed by another (${rounds} → ${c.rounds})`);
    } finally {
      c.stop();
    }
  });
});
