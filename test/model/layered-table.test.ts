// A layered table must read exactly as the copied Map it replaces: the same
// entries, in the same order, after any sequence of batches of sets and
// deletes, flattened or not.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TableDraft } from '../../src/model/layered-table';
import { rng } from '../support/fuzz';

describe('layered World tables', () => {
  it('read as a copied Map after seeded batches of sets and deletes', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const random = rng(seed);
      const keys = Array.from({ length: 8 + Math.floor(random() * 300) }, (_, i) => `k${i}`);
      let expected = new Map<string, number>();
      let table: ReadonlyMap<string, number> = new Map();
      let value = 0;
      for (let batch = 0; batch < 40; batch++) {
        const copy = new Map(expected);
        const draft = new TableDraft(table);
        const ops = 1 + Math.floor(random() * (random() < 0.1 ? 400 : 6));
        for (let i = 0; i < ops; i++) {
          const k = keys[Math.floor(random() * keys.length)]!;
          if (random() < 0.35) {
            copy.delete(k);
            draft.delete(k);
          } else {
            copy.set(k, ++value);
            draft.set(k, value);
          }
          assert.equal(draft.get(k), copy.get(k));
        }
        expected = copy;
        table = draft.finish();
        const where = `seed ${seed}, batch ${batch}`;
        assert.equal(table.size, expected.size, where);
        assert.deepEqual([...table.entries()], [...expected.entries()], where);
        assert.deepEqual([...table.keys()], [...expected.keys()], where);
        assert.deepEqual([...table.values()], [...expected.values()], where);
        assert.deepEqual([...table], [...expected], where);
        for (const k of keys) {
          assert.equal(table.get(k), expected.get(k), `${where}: ${k}`);
          assert.equal(table.has(k), expected.has(k), `${where}: ${k}`);
        }
        const seen: string[] = [];
        table.forEach((_, k) => seen.push(k));
        assert.deepEqual(seen, [...expected.keys()], where);
      }
    }
  });

  it('leaves the table it was drafted from as it was', () => {
    const first = new TableDraft<number>();
    first.set('a', 1);
    first.set('b', 2);
    const t1 = first.finish();
    const second = new TableDraft(t1);
    second.delete('a');
    second.set('b', 3);
    second.set('c', 4);
    const t2 = second.finish();
    assert.deepEqual(
      [...t1],
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    assert.deepEqual(
      [...t2],
      [
        ['b', 3],
        ['c', 4],
      ],
    );
  });
});
