import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, get, list, type KubeObject, type World } from '../../src/model';
import { loadManifests, parseTexts } from '../../src/watch/load';

const service = (metadata: KubeObject['metadata']): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata,
  spec: { ports: [{ port: 80 }] },
});
const node = (metadata: KubeObject['metadata']): KubeObject => ({ apiVersion: 'v1', kind: 'Node', metadata });
const load = (...objects: KubeObject[]): World =>
  applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;

describe('object scope at load', () => {
  it('a namespaced object given without a namespace is held in `default`, as kubectl applies it', () => {
    const world = load(
      service({ name: 'a' }),
      service({ name: 'b', namespace: '' }),
      service({ name: 'c', namespace: 'x' }),
    );
    assert.deepEqual(
      list(world, 'Service').map((s) => `${s.metadata.namespace}/${s.metadata.name}`),
      ['default/a', 'default/b', 'x/c'],
    );
    assert.ok(get(world, 'Service', 'default', 'a'), 'found under its namespace');
    // The type says the same: a loaded namespaced object's namespace is a string.
    const ns: string = list(world, 'Service')[0]!.metadata.namespace;
    assert.equal(ns, 'default');
  });

  it('a cluster-scoped object keeps no namespace, whatever the manifest said', () => {
    const world = load(node({ name: 'n1', namespace: 'x' }));
    const n = get(world, 'Node', undefined, 'n1');
    assert.ok(n);
    assert.equal(n.metadata.namespace, undefined);
    // @ts-expect-error a cluster-scoped kind's namespace is not promised
    const notPromised: string = n.metadata.namespace;
    assert.equal(notPromised, undefined);
  });

  it('a delete without a namespace removes the object held in `default`', () => {
    const world = load(service({ name: 'a' }));
    const { world: after, changed } = applyChanges(world, [{ op: 'delete', kind: 'Service', name: 'a' }]);
    assert.deepEqual([...changed], ['Service/default/a']);
    assert.equal(list(after, 'Service').length, 0);
  });

  it('an object already settled is kept as given (no copy)', () => {
    const o = service({ name: 'a', namespace: 'x' });
    assert.equal(get(load(o), 'Service', 'x', 'a'), o);
  });

  it('the directory source and manifest texts settle it the same way', async () => {
    const text = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  ports:\n  - port: 80\n';
    const parsed = parseTexts([{ file: 'a.yaml', text }]);
    assert.deepEqual(parsed.errors, []);
    const [change] = parsed.changes;
    assert.equal(change?.op === 'upsert' && change.object.metadata.namespace, 'default');
    const dir = mkdtempSync(join(tmpdir(), 'scope-'));
    try {
      writeFileSync(join(dir, 'svc.yaml'), text);
      const { world, errors } = await loadManifests([dir]);
      assert.deepEqual(errors, []);
      assert.equal(get(world, 'Service', 'default', 'web')?.metadata.namespace, 'default');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
