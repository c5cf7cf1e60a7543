// Grouped views patched from the previous World's must equal views built
// from scratch over the same table, after every kind of change.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { rng } from '../../bench/mesh';
import {
  applyChanges,
  EMPTY_WORLD,
  grouped,
  inNamespace,
  type Change,
  type KubeObject,
  type World,
} from '../../src/model';

const NAMESPACES = ['a', 'b', 'c'];
const pod = (name: string, ns: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: ns, labels },
});

/** The same tables, in the same order, in a World with no history to patch from. */
function fresh(world: World): World {
  const objects = [...(world.objects.Pod?.values() ?? [])];
  return applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
}

const byLabel = (w: World) =>
  grouped(w, 'Pod', 'test-byLabel', (p) => Object.entries(p.metadata.labels ?? {}).map(([k, v]) => `${k}=${v}`), 'key');
const byNs = (w: World) => new Map(NAMESPACES.map((ns) => [ns, inNamespace(w, 'Pod', ns)]));
const sorted = <T>(m: ReadonlyMap<string, T>) => [...m].sort(([a], [b]) => (a < b ? -1 : 1));

describe('grouped views', () => {
  it('patched views equal rebuilt ones through random upserts, relabels, deletes and re-adds', () => {
    const random = rng(11);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const labels = () => ({ app: pick(['x', 'y', 'z']), ...(random() < 0.5 ? { tier: pick(['1', '2']) } : {}) });
    let world = applyChanges(
      EMPTY_WORLD,
      Array.from({ length: 60 }, (_, i) => ({
        op: 'upsert' as const,
        object: pod(`p${i}`, pick(NAMESPACES), labels()),
      })),
    ).world;
    byLabel(world);
    byNs(world);
    let patchedSteps = 0;
    for (let step = 0; step < 200; step++) {
      const changes: Change[] = [];
      for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
        const name = `p${Math.floor(random() * 80)}`;
        const ns = pick(NAMESPACES);
        const r = random();
        if (r < 0.25) changes.push({ op: 'delete', kind: 'Pod', namespace: ns, name });
        else if (r < 0.35) {
          // Deleted and put back in one batch: it moves to the end of the table.
          changes.push({ op: 'delete', kind: 'Pod', namespace: ns, name });
          changes.push({ op: 'upsert', object: pod(name, ns, { ...labels(), again: String(step) }) });
        } else changes.push({ op: 'upsert', object: pod(name, ns, labels()) });
      }
      const before = byLabel(world);
      world = applyChanges(world, changes).world;
      const labelView = byLabel(world);
      const reference = fresh(world);
      assert.deepEqual(sorted(labelView), sorted(byLabel(reference)), `labels, step ${step}`);
      assert.deepEqual(byNs(world), byNs(reference), `namespaces, step ${step}`);
      // A group no change touched is the previous view's array: it was patched, not rebuilt.
      if ([...labelView].some(([g, l]) => before.get(g) === l)) patchedSteps++;
    }
    assert.ok(patchedSteps > 100, `most steps patched (${patchedSteps} of 200)`);
  });
});
