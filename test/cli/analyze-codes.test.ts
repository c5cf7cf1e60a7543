import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { CODE } from '../../src/cli/analyze-codes';

describe('analyze codes', () => {
  it('give each finding a code of its own', () => {
    const values = Object.values(CODE);
    assert.equal(new Set(values).size, values.length, JSON.stringify(CODE));
    for (const v of values) assert.match(v, /^IS[TL]\d{4}$/);
  });
});
