// Transition rules and cost limits of CRD CEL rules, as the API server applies
// them (apiextensions-apiserver cel.Validator.Validate: transition rules only
// with a correlated old value; per-call and per-object runtime limits;
// the estimated cost check when a CRD is written).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { compileSchema } from '../../src/model/crd-schema';
import { routeSchema } from '../support/crds';

const route = (rules: unknown[]) => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'app' },
  spec: { rules },
});

const objectWith = (items: unknown, rule: string, value: unknown) => {
  const problems: string[] = [];
  const schema = compileSchema(
    {
      type: 'object',
      properties: {
        spec: { type: 'object', properties: { v: { ...(items as object), 'x-kubernetes-validations': [{ rule }] } } },
      },
    },
    problems,
  );
  return { problems, check: () => schema.validate({ spec: { v: value } }) };
};

describe('CRD transition rules (oldSelf)', () => {
  const schema = compileSchema(routeSchema);
  const FAILED = 'spec.rules[0]: Invalid value: "object": failed rule: self.weight == oldSelf.weight';

  it('skipped without an old object (a create)', () => {
    assert.deepEqual(schema.validate(route([{ name: 'a', weight: 2 }])), []);
  });

  it('run against the list-map item with the same keys on an update', () => {
    const old = route([{ name: 'a', weight: 1 }]);
    assert.deepEqual(schema.validate(route([{ name: 'a', weight: 2 }]), old), [FAILED]);
    assert.deepEqual(schema.validate(route([{ name: 'a', weight: 1 }]), old), []);
    // A new item has nothing to compare with; the moved item is still found by its key.
    assert.deepEqual(
      schema.validate(
        route([
          { name: 'b', weight: 5 },
          { name: 'a', weight: 1 },
        ]),
        old,
      ),
      [],
    );
  });

  it('transitions() runs them alone', () => {
    const old = route([{ name: 'a', weight: 1 }]);
    assert.deepEqual(schema.transitions(route([{ name: 'a', weight: 2 }]), old), [FAILED]);
    // Other rules (here the timeout bound) are not repeated.
    assert.deepEqual(schema.transitions(route([{ name: 'a', weight: 1, timeout: '2h' }]), old), []);
  });
});

describe('CRD rule cost limits', () => {
  it('a rule past the per-call limit stops, in the API server words, and no further rule runs', () => {
    // Three nested walks over the characters: the estimate cannot see split()'s size, the run stops it.
    const rule = "self.split('').all(a, self.split('').all(b, self.split('').all(c, a != '!')))";
    const { problems, check } = objectWith({ type: 'string' }, rule, 'x'.repeat(400));
    assert.deepEqual(problems, []);
    const started = Date.now();
    assert.deepEqual(check(), [
      `spec.v: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${rule}`,
    ]);
    assert.ok(Date.now() - started < 10_000, 'stopped early');
  });

  it('the same rule within the limit passes', () => {
    const rule = "self.split('').all(a, self.split('').all(b, a != '!'))";
    assert.deepEqual(objectWith({ type: 'string' }, rule, 'x'.repeat(50)).check(), []);
  });

  it('at CRD load, a rule whose estimate is over the limit is reported as the API server refuses it, and not run', () => {
    const unbounded = { type: 'array', items: { type: 'string' } };
    const { problems, check } = objectWith(unbounded, 'self.all(a, self.all(b, a == b || a != b))', ['x', 'y']);
    assert.deepEqual(problems, [
      'openAPIV3Schema.spec.v.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)',
      'openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of more than 100x',
    ]);
    assert.deepEqual(check(), []);
    // Bounded by maxItems, the same rule is fine.
    const bounded = objectWith({ ...unbounded, maxItems: 100 }, 'self.all(a, self.all(b, a != b))', ['x', 'x']);
    assert.deepEqual(bounded.problems, []);
    assert.deepEqual(bounded.check(), [
      'spec.v: Invalid value: "object": failed rule: self.all(a, self.all(b, a != b))',
    ]);
  });
});
