import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import pino from 'pino';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { CaBundleReader, referencedCaBundles } from '../../src/watch/ca-bundles';

const policy = (name: string, ca: string) =>
  ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'BackendTLSPolicy',
    metadata: { name, namespace: 'shop' },
    spec: {
      targetRefs: [{ group: '', kind: 'Service', name: 'api' }],
      validation: { hostname: 'api.example', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: ca }] },
    },
  }) as unknown as KubeObject;

const configMap = (name: string, pem: string) =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'shop', uid: 'x' },
    data: { 'ca.crt': pem },
  }) as unknown as KubeObject;

describe('CA bundles read by name (backend_policies.go caCertificateRefs)', () => {
  it('reads only the ConfigMaps BackendTLSPolicies name, and hands on only what changed', async () => {
    const store = new Map<string, KubeObject>([['shop/ca', configMap('ca', 'PEM1')]]);
    const reads: string[] = [];
    const reader = new CaBundleReader(
      async (ns, name) => {
        reads.push(`${ns}/${name}`);
        return store.get(`${ns}/${name}`);
      },
      pino({ level: 'silent' }),
    );
    let world = applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: policy('p', 'ca') }]).world;
    assert.deepEqual([...referencedCaBundles(world)], ['shop/ca']);

    const first = await reader.sync(world);
    assert.deepEqual(reads, ['shop/ca']);
    assert.equal(first.length, 1);
    assert.deepEqual(first[0], {
      op: 'upsert',
      object: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'ca', namespace: 'shop' },
        data: { 'ca.crt': 'PEM1' },
      },
    });
    assert.deepEqual(await reader.sync(world), [], 'an unchanged bundle is not handed on again');

    store.set('shop/ca', configMap('ca', 'PEM2'));
    const edited = await reader.sync(world);
    assert.equal(edited.length, 1, 'an edited bundle is');

    store.delete('shop/ca');
    assert.deepEqual(await reader.sync(world), [{ op: 'delete', kind: 'ConfigMap', namespace: 'shop', name: 'ca' }]);

    store.set('shop/ca', configMap('ca', 'PEM3'));
    await reader.sync(world);
    world = applyChanges(world, [{ op: 'delete', kind: 'BackendTLSPolicy', namespace: 'shop', name: 'p' }]).world;
    assert.deepEqual(
      await reader.sync(world),
      [{ op: 'delete', kind: 'ConfigMap', namespace: 'shop', name: 'ca' }],
      'a bundle no policy names any more is dropped',
    );
  });

  it('keeps the last read bundle when a read fails', async () => {
    let fail = false;
    const reader = new CaBundleReader(
      async () => {
        if (fail) throw new Error('connection refused');
        return configMap('ca', 'PEM1');
      },
      pino({ level: 'silent' }),
    );
    const world = applyChanges(EMPTY_WORLD, [{ op: 'upsert', object: policy('p', 'ca') }]).world;
    assert.equal((await reader.sync(world)).length, 1);
    fail = true;
    assert.deepEqual(await reader.sync(world), [], 'no deletion on a failed read');
  });
});
