// Statuses of incremental steps, read or not: the tracker changes its list in
// place while nobody holds it and copies it once somebody does, and a step
// read only after later steps still gets its own World's statuses.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generateMesh, nsName, svcName } from '../../bench/mesh';
import { applyChanges, EMPTY_WORLD, get, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator, statusesOf, type Step } from '../../src/translate';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
const ns = nsName(0);

function mesh(): World {
  const objects = generateMesh({ services: 20, servicesPerNamespace: 10 }) as unknown as KubeObject[];
  return applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
}

/** `world` with route `name`'s only backend pointed at `backend` (a missing one fails ResolvedRefs). */
function routeTo(world: World, name: string, backend: string): { world: World; changed: ReadonlySet<string> } {
  const r = get(world, 'HTTPRoute', ns, name) as KubeObject & { spec: object };
  const object = { ...r, spec: { ...r.spec, rules: [{ backendRefs: [{ name: backend, port: 80 }] }] } } as KubeObject;
  return applyChanges(world, [{ op: 'upsert', object }]);
}

const routeOf = (statuses: Step['statuses'], name: string) =>
  JSON.stringify(statuses.find((s) => s.kind === 'HTTPRoute' && s.namespace === ns && s.name === name));

describe('statuses of incremental steps', () => {
  it('are each step’s own, whenever they are read, and a list once read never changes', () => {
    const t = new IncrementalTranslator(OPTS);
    const worlds: World[] = [mesh()];
    const steps: Step[] = [t.update(worlds[0]!, 'all')];
    const first = steps[0]!.statuses;
    const firstCopy = JSON.stringify(first);
    // Four edits whose statuses nobody reads as they happen: a route loses its backend, gets it back,
    // another loses its own.
    const edits: [string, string][] = [
      [svcName(3), 'missing'],
      [svcName(3), svcName(4)],
      [svcName(5), 'gone'],
      [svcName(6), 'nowhere'],
    ];
    for (const [route, backend] of edits) {
      const r = routeTo(worlds[worlds.length - 1]!, route, backend);
      worlds.push(r.world);
      steps.push(t.update(r.world, r.changed));
    }
    const last = steps[steps.length - 1]!.statuses;
    assert.deepEqual(last, statusesOf(worlds[worlds.length - 1]!, steps[steps.length - 1]!.index, OPTS));
    assert.match(routeOf(last, svcName(6)), /BackendNotFound/);
    // Read late, each earlier step is its own World's.
    for (let i = 1; i < steps.length - 1; i++)
      assert.deepEqual(steps[i]!.statuses, statusesOf(worlds[i]!, steps[i]!.index, OPTS), `step ${i}`);
    assert.match(routeOf(steps[1]!.statuses, svcName(3)), /BackendNotFound/);
    assert.doesNotMatch(routeOf(steps[2]!.statuses, svcName(3)), /BackendNotFound/);
    // The lists handed out stayed as they were when read.
    assert.equal(JSON.stringify(first), firstCopy);
    const lastCopy = JSON.stringify(last);
    const r = routeTo(worlds[worlds.length - 1]!, svcName(6), svcName(7));
    const next = t.update(r.world, r.changed).statuses;
    assert.equal(JSON.stringify(last), lastCopy, 'a later change copies a list that was read');
    assert.doesNotMatch(routeOf(next, svcName(6)), /BackendNotFound/);
  });
});
