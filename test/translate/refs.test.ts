import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { readKeysOfAll, Reads } from '../../src/translate/reads';
import { hostRefs, refsOf } from '../../src/translate/refs';

const rule = (host: string, ns = 'shop'): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'r', namespace: ns },
  spec: { host },
});

/** What a by-reference reader of `fqdn` records for the rules of `ns`. */
function reader(fqdn: string, ns: string): ReadonlySet<string> {
  const reads = new Reads(true);
  for (const ref of hostRefs(fqdn, ns, 'cluster.local')) reads.referencing('DestinationRule', ns, ref);
  return reads.keys;
}

/** Whether moving the rule from `before` to `after` reaches the reader. */
function reaches(before: KubeObject | undefined, after: KubeObject | undefined, keys: ReadonlySet<string>): boolean {
  const put = (o: KubeObject | undefined) =>
    o
      ? [{ op: 'upsert' as const, object: o }]
      : [{ op: 'delete' as const, kind: 'DestinationRule', namespace: 'shop', name: 'r' }];
  const first = applyChanges(EMPTY_WORLD, before ? put(before) : []);
  const next = applyChanges(first.world, put(after));
  return readKeysOfAll(next.changed, next.world, first.world).some((k) => keys.has(k));
}

describe('DestinationRules by host', () => {
  const cart = reader('cart.shop.svc.cluster.local', 'shop');
  const pay = reader('pay.shop.svc.cluster.local', 'shop');

  it('names a short host relative to its namespace and a wildcard as every reader', () => {
    assert.deepEqual(refsOf(rule('cart')), ['short:cart']);
    assert.deepEqual(refsOf(rule('cart.shop.svc.cluster.local')), ['cart.shop.svc.cluster.local']);
    assert.deepEqual(refsOf(rule('*.shop.svc.cluster.local')), ['*']);
  });

  it('reaches the readers of the host it left and the one it joined, in either form', () => {
    assert.ok(reaches(rule('cart'), rule('pay.shop.svc.cluster.local'), cart));
    assert.ok(reaches(rule('cart'), rule('pay.shop.svc.cluster.local'), pay));
    assert.ok(reaches(rule('cart.shop.svc.cluster.local'), rule('nowhere'), cart));
    assert.ok(!reaches(rule('cart'), rule('nowhere'), pay));
  });

  it('reaches every reader of its namespace when a wildcard comes or goes', () => {
    assert.ok(reaches(undefined, rule('*'), pay));
    assert.ok(reaches(rule('*.svc.cluster.local'), undefined, cart));
    assert.ok(!reaches(undefined, rule('*', 'elsewhere'), pay));
  });

  it('does not read a short name of another namespace as this one', () => {
    // A root-namespace reader of a shop host: `cart` there means cart.istio-system.
    const root = reader('cart.shop.svc.cluster.local', 'istio-system');
    assert.ok(!root.has('DestinationRule/istio-system/@short:cart'));
  });
});
