import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sameInput } from '../../src/translate/same-input';

describe('sameInput', () => {
  it('agrees with JSON on what it answers true for', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: [1, { c: 'x' }] },
        { a: 1, b: [1, { c: 'x' }] },
      ],
      [{ a: 1, skip: undefined }, { a: 1 }],
      [
        { skip: undefined, a: 1 },
        { a: 1, other: undefined },
      ],
      [[], []],
      [null, null],
    ];
    for (const [a, b] of cases) {
      assert.equal(sameInput(a, b), true, JSON.stringify([a, b]));
      assert.equal(JSON.stringify(a), JSON.stringify(b));
    }
  });

  it('tells apart what JSON prints differently', () => {
    const cases: [unknown, unknown][] = [
      [
        { a: 1, b: 2 },
        { b: 2, a: 1 },
      ],
      [{ a: 1 }, { a: 1, b: 2 }],
      [{ a: 1, b: 2 }, { a: 1 }],
      [{ a: [1, 2] }, { a: [1] }],
      [{ a: 1 }, [1]],
      [{ a: '1' }, { a: 1 }],
      [{ a: { b: undefined, c: 1 } }, { a: { c: 2 } }],
    ];
    for (const [a, b] of cases) {
      assert.equal(sameInput(a, b), false, JSON.stringify([a, b]));
      assert.notEqual(JSON.stringify(a), JSON.stringify(b));
    }
  });

  it('compares bytes by content, as JSON prints a Buffer', () => {
    assert.equal(sameInput({ a: Buffer.from([10, 0, 0, 1]) }, { a: Buffer.from([10, 0, 0, 1]) }), true);
    assert.equal(sameInput({ a: Buffer.from([10, 0, 0, 1]) }, { a: Buffer.from([10, 0, 0, 2]) }), false);
    assert.equal(sameInput(Buffer.from([1]), new Uint8Array([1])), false);
  });

  it('answers false (a rebuild) for what it cannot judge', () => {
    assert.equal(sameInput(new Map([[1, 2]]), new Map([[1, 2]])), false);
    assert.equal(sameInput({ a: NaN }, { a: NaN }), false);
  });
});
