import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { fieldDiff, shortValue } from '../../src/cli/diff-fields';

describe('diff: field paths of a changed resource (compare/comparator.go: Diff, as paths instead of a text diff)', () => {
  it('names each changed leaf by its path, with the value before and after', () => {
    const before = { name: 'c', connectTimeout: '10s', lb: { policy: 'ROUND_ROBIN' } };
    const after = { name: 'c', connectTimeout: '5s', lb: { policy: 'ROUND_ROBIN', slowStart: true } };
    assert.deepEqual(fieldDiff(before, after), [
      { path: 'connectTimeout', before: '10s', after: '5s' },
      { path: 'lb.slowStart', after: true },
    ]);
  });

  it('matches list elements by name when every element has a distinct one, so a removal is one line', () => {
    const before = {
      hosts: [
        { name: 'a', v: 1 },
        { name: 'b', v: 1 },
        { name: 'c', v: 1 },
      ],
    };
    const after = {
      hosts: [
        { name: 'a', v: 1 },
        { name: 'c', v: 2 },
      ],
    };
    assert.deepEqual(fieldDiff(before, after), [
      { path: 'hosts[name=c].v', before: 1, after: 2 },
      { path: 'hosts[name=b]', before: { name: 'b', v: 1 } },
    ]);
  });

  it('reports a reordering of named elements, which changes which route matches first', () => {
    const before = { routes: [{ name: 'x' }, { name: 'y' }] };
    const after = { routes: [{ name: 'y' }, { name: 'x' }] };
    assert.deepEqual(fieldDiff(before, after), [
      { path: 'routes[*].name (order)', before: ['x', 'y'], after: ['y', 'x'] },
    ]);
  });

  it('matches unnamed list elements by index', () => {
    assert.deepEqual(fieldDiff({ l: ['a', 'b'] }, { l: ['a', 'c', 'd'] }), [
      { path: 'l[1]', before: 'b', after: 'c' },
      { path: 'l[2]', after: 'd' },
    ]);
  });

  it('finds nothing between equal documents', () => {
    assert.deepEqual(fieldDiff({ a: [1, { b: null }] }, { a: [1, { b: null }] }), []);
  });

  it('cuts a long value short for one line of text', () => {
    assert.equal(shortValue('x'.repeat(200), 10), `"${'x'.repeat(8)}…`);
    assert.equal(shortValue(undefined), '(absent)');
  });
});
