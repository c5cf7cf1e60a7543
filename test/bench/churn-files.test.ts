import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ChurnFiles } from '../../bench/churn-files';
import { writeMeshDir } from '../../bench/dir-bench';
import { generateMesh } from '../../bench/mesh';
import type { Change, KubeObject } from '../../src/model';
import { DirectorySource } from '../../src/watch/directory';

/** What serve's directory source reports after a rescan: the changed objects by `Kind ns/name`. */
function upserts(changes: Change[]): Map<string, KubeObject> {
  const out = new Map<string, KubeObject>();
  for (const c of changes) {
    assert.equal(c.op, 'upsert', 'the churn deletes nothing');
    if (c.op !== 'upsert') continue;
    const m = c.object.metadata;
    out.set(`${c.object.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`, c.object);
  }
  return out;
}

describe('W5 churn file rewriter', () => {
  it('writes files serve reads without errors, each changing exactly the objects its edit names', async () => {
    const mesh = writeMeshDir(300);
    const source = new DirectorySource(mesh.dir, { pollMs: 0 });
    try {
      const churn = new ChurnFiles(mesh.dir, 300);
      for (const ns of ['bench-000', 'bench-002', 'istio-system'])
        assert.equal(churn.text(ns), readFileSync(join(mesh.dir, 'namespaces', `${ns}.yaml`), 'utf8'));
      let seen: Change[] = [];
      source.onChanges((c) => seen.push(...c));
      await source.start();
      assert.deepEqual(source.errors(), []);
      assert.equal(seen.length, generateMesh({ services: 300 }).length, 'the whole mesh is served first');

      for (const make of [() => churn.podMove(), () => churn.routeEdit(), () => churn.relabel()])
        for (let i = 0; i < 4; i++) {
          seen = [];
          const edit = make();
          source.rescan();
          assert.deepEqual(source.errors(), [], `${edit.kind} ${edit.objects.join(', ')}`);
          const got = upserts(seen);
          assert.deepEqual([...got.keys()].sort(), [...edit.objects].sort());
          assert.equal(edit.waypoint, `${edit.namespace}/waypoint`);
          if (edit.kind === 'podMove') {
            const pod = got.get(edit.objects[0]!) as KubeObject & {
              spec: { nodeName: string };
              status: { podIP: string; podIPs: { ip: string }[] };
            };
            assert.match(pod.status.podIP, /^10\.251\./);
            assert.deepEqual(pod.status.podIPs, [{ ip: pod.status.podIP }]);
            assert.match(pod.spec.nodeName, /^node-\d$/);
            const slice = got.get(edit.objects[1]!) as KubeObject & {
              endpoints: { addresses: string[]; targetRef: { name: string } }[];
            };
            const entry = slice.endpoints.filter((e) => e.targetRef.name === pod.metadata.name);
            assert.deepEqual(
              entry.map((e) => e.addresses),
              [[pod.status.podIP]],
            );
          }
          if (edit.kind === 'routeEdit') {
            const route = got.get(edit.objects[0]!) as KubeObject & {
              spec: { rules: { backendRefs: { weight?: number }[] }[] };
            };
            const weights = route.spec.rules.at(-1)!.backendRefs.map((b) => b.weight ?? 0);
            assert.equal(weights[0]! + weights[1]!, 100);
          }
          if (edit.kind === 'relabel') {
            const ns = got.get(edit.objects[0]!)!;
            assert.equal(ns.metadata.labels?.['bench.istiod-lite/epoch'], String(i + 1));
            assert.equal(ns.metadata.labels?.['istio.io/use-waypoint'], 'waypoint', 'routing labels kept');
          }
        }
      // Edits in one second keep to different namespaces, so their pushes are told apart.
      for (let i = 0; i < 20; i++) {
        const move = churn.podMove();
        assert.notEqual(churn.routeEdit([move.namespace]).namespace, move.namespace);
      }
      assert.deepEqual(
        readdirSync(join(mesh.dir, 'namespaces')).filter((f) => !f.endsWith('.yaml')),
        [],
        'no temporary file left behind',
      );
    } finally {
      await source.stop();
      rmSync(mesh.dir, { recursive: true, force: true });
    }
  });
});
