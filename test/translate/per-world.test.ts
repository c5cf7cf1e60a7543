// reads.ts: PerWorld — one value per World, object, kind of read log and
// variant; every reader records what the value read, not only the first.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { readObject, recorded, type KubeObject, type World } from '../../src/model';
import { PerWorld, Reads } from '../../src/translate/reads';
import { ns, svc, worldOf } from '../ambient/fixtures';

let computed = 0;

/** Whether the Service the object names by its own name exists in `variant`'s namespace. */
const decideSeen = (from: { world: World; reads: Reads }, o: KubeObject, variant: string): boolean => {
  computed++;
  return readObject(recorded(from.world, from.reads), 'Service', variant, o.metadata.name) !== undefined;
};
const SEEN = new PerWorld(decideSeen);

describe('PerWorld (reads.ts)', () => {
  const first = worldOf([ns('a'), ns('b'), svc('echo', 'a')]);
  const key = svc('echo', 'a');

  it('computes once per World, object and variant; a hit hands out the value and replays its reads', () => {
    computed = 0;
    const one = new Reads(true);
    const two = new Reads(true);
    assert.equal(SEEN.get({ world: first, reads: one }, key, 'a'), true);
    assert.equal(SEEN.get({ world: first, reads: two }, key, 'a'), true);
    assert.equal(computed, 1);
    assert.deepEqual([...two.keys], [...one.keys]);
    assert.ok(two.keys.has('Service/a/echo'));
    // Another variant is another value.
    assert.equal(SEEN.get({ world: first, reads: two }, key, 'b'), false);
    assert.equal(computed, 2);
  });

  it('keeps the two kinds of read log apart, and a reader without a log shares the by-reference table', () => {
    computed = 0;
    const world = worldOf([svc('other', 'a')], first);
    SEEN.get({ world }, key, 'a');
    SEEN.get({ world, reads: new Reads(true) }, key, 'a');
    assert.equal(computed, 1);
    const whole = new Reads(false);
    SEEN.get({ world, reads: whole }, key, 'a');
    assert.equal(computed, 2);
    assert.ok(whole.keys.has('Service/a/echo'));
  });

  it('decides afresh for a new World, so a value is never stale', () => {
    computed = 0;
    const gone = worldOf([], worldOf([ns('a'), ns('b')]));
    assert.equal(SEEN.get({ world: first }, key, 'a'), true);
    assert.equal(SEEN.get({ world: gone }, key, 'a'), false);
  });
});
