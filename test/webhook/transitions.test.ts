// Transition rules (`oldSelf`) in the admission webhook: the API server runs
// them on UPDATE against the stored object (apiextensions-apiserver
// cel.Validator: a transition rule is skipped without an old value).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { crds } from '../../src/model';
import { review } from '../../src/webhook/review';
import { gatewayClass, immutableClassCrd } from '../support/immutable-crd';

const request = (operation: string, object: unknown, oldObject?: unknown) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: { uid: 'u1', operation, object, ...(oldObject ? { oldObject } : {}) },
});

describe('webhook: transition rules', () => {
  before(() => crds.replace('webhook-transitions', [immutableClassCrd]));
  after(() => crds.replace('webhook-transitions', []));

  it('refuses an UPDATE that changes an immutable field, with the rule message at its path', () => {
    const r = review(request('UPDATE', gatewayClass('b.example/ctl'), gatewayClass('a.example/ctl'))).response;
    assert.equal(r.allowed, false);
    assert.equal(
      r.status?.message,
      'configuration is invalid: spec.controllerName: Invalid value: "object": Value is immutable',
    );
  });

  it('allows an UPDATE that changes other fields, and a CREATE (no old object)', () => {
    const update = review(request('UPDATE', gatewayClass('a.example/ctl', 'new'), gatewayClass('a.example/ctl')));
    assert.equal(update.response.allowed, true);
    assert.equal(review(request('CREATE', gatewayClass('b.example/ctl'))).response.allowed, true);
  });
});
