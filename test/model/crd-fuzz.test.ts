// Fixed-seed fuzzing of the CRD schema and CEL checks and of the webhook that
// runs them: thousands of scrambled objects, no exception, and every problem
// names the field it is about.
import { strict as assert } from 'node:assert';
import { after, describe, it } from 'node:test';
import { crds } from '../../src/model';
import { compileSchema } from '../../src/model/crd-schema';
import { review } from '../../src/webhook/review';
import { crdOf, routeSchema } from '../support/crds';
import { mutate, rng } from '../support/fuzz';

const VALID = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'r', namespace: 'app' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 's' }],
    hostnames: ['a.example'],
    rules: [{ name: 'x', weight: 3, timeout: '10s', filters: [{ type: 'URLRewrite' }], backendRefs: [{ name: 's' }] }],
    port: 80,
    labels: { a: 'b' },
  },
};

function randomValue(r: () => number, depth = 0): unknown {
  switch (Math.floor(r() * (depth > 2 ? 6 : 8))) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 4_000_000) - 1_000_000;
    case 2:
      return r() < 0.5;
    case 3:
      return mutate(Buffer.from('a.example'), r).toString('latin1');
    case 4:
      return ['', 'RequestRedirect', '2h', '10parsecs', 'forbidden', '-1', 'Bad_Host'][Math.floor(r() * 7)];
    case 5:
      return r() * 1e6;
    case 6:
      return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: Math.floor(r() * 3) }, () => [
          ['name', 'type', 'weight', 'timeout', 'filters', 'backendRefs', 'kind', 'hostnames'][Math.floor(r() * 8)]!,
          randomValue(r, depth + 1),
        ]),
      );
  }
}

function scramble(o: unknown, r: () => number): unknown {
  const copy = structuredClone(o) as Record<string, unknown>;
  for (let n = 0; n < 1 + r() * 3; n++) {
    let node: unknown = copy.spec;
    for (let d = 0; d < 6; d++) {
      if (node === null || typeof node !== 'object') break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      const k = keys[Math.floor(r() * keys.length)]!;
      const child = (node as Record<string, unknown>)[k];
      if (r() < 0.3 || child === null || typeof child !== 'object') {
        (node as Record<string, unknown>)[k] = randomValue(r);
        break;
      }
      node = child;
    }
  }
  return copy;
}

const FIELD = /^(object|spec)\b[^:]*: \S/;

describe('fuzzing CRD schema and CEL checks (fixed seeds)', () => {
  after(() => crds.replace('fuzz', []));

  it('scrambled objects never throw, and every problem names a field', () => {
    const schema = compileSchema(routeSchema);
    assert.deepEqual(schema.validate(VALID), [], 'the seed object is valid');
    const r = rng(20261204);
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      const o = scramble(VALID, r);
      const problems = schema.validate(o);
      if (problems.length > 0) refused++;
      for (const p of problems) assert.match(p, FIELD, JSON.stringify(o));
    }
    assert.ok(refused > 1000, `most scrambles are refused (${refused})`);
  });

  it('the webhook answers every scrambled object, refusing with the field path', () => {
    crds.replace('fuzz', [crdOf('gateway.networking.k8s.io', 'HTTPRoute', 'httproutes', routeSchema)]);
    const r = rng(7);
    let denied = 0;
    for (let i = 0; i < 2000; i++) {
      const object = scramble(VALID, r);
      const out = review({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: `u${i}`, operation: 'CREATE', namespace: 'app', object },
      });
      assert.equal(out.response.uid, `u${i}`);
      if (out.response.allowed) continue;
      denied++;
      assert.match(out.response.status?.message ?? '', /^configuration is invalid: (spec|object|metadata)\b[^:]*: \S/);
    }
    assert.ok(denied > 500, `denied ${denied}`);
  });

  it('the webhook refuses what the CRD rule refuses, and admits the valid object beside it', () => {
    crds.replace('fuzz', [crdOf('gateway.networking.k8s.io', 'HTTPRoute', 'httproutes', routeSchema)]);
    const ask = (object: unknown) =>
      review({
        apiVersion: 'admission.k8s.io/v1',
        kind: 'AdmissionReview',
        request: { uid: 'u', operation: 'CREATE', namespace: 'app', object },
      }).response;
    assert.equal(ask(VALID).allowed, true);
    const bad = structuredClone(VALID);
    bad.spec.rules[0]!.filters = [{ type: 'RequestRedirect' }];
    assert.deepEqual(ask(bad).status, {
      code: 400,
      message:
        'configuration is invalid: spec.rules[0]: Invalid value: "object": a redirect and backends exclude each other',
    });
  });
});
