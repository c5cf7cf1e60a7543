// The step serve runs, on demand (pilot/pkg/xds/ads.go: initConnection builds
// a proxy's configuration when it connects; pushConnection pushes only to
// connected proxies): nothing is built before a key is demanded; a demanded
// key's cache entry is what the eager step builds for it, at once and after
// later changes; a change read only by undemanded waypoints translates nothing.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { nsName, svcName } from '../../bench/mesh';
import { meshWorld } from '../../bench/translate-bench';
import { ServeStep } from '../../src/server/pipeline-step';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from '../../src/server/proxy-key';
import { TypeUrl } from '../../src/envoy';
import { applyChanges, get, type Change, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator } from '../../src/translate';
import { SnapshotCache } from '../../src/xds';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
const TYPES = [
  TypeUrl.Listener,
  TypeUrl.Route,
  TypeUrl.Cluster,
  TypeUrl.Endpoint,
  TypeUrl.Workload,
  TypeUrl.Address,
  TypeUrl.Authorization,
];

function pair(world: World) {
  const eager = { translator: new IncrementalTranslator(OPTS), cache: new SnapshotCache() };
  const lazy = { translator: new IncrementalTranslator(OPTS, { onDemand: true }), cache: new SnapshotCache() };
  const eagerStep = new ServeStep(eager.translator, eager.cache, OPTS);
  const lazyStep = new ServeStep(lazy.translator, lazy.cache, OPTS);
  eagerStep.run(world, 'all');
  lazyStep.run(world, 'all');
  return { eager, lazy, eagerStep, lazyStep };
}

const ids = (rs: Iterable<{ name: string; version: string }>) => [...rs].map((r) => `${r.name}@${r.version}`).sort();

describe('serve step on demand', () => {
  let world = meshWorld(60, { servicesPerNamespace: 30 });
  const { eager, lazy, eagerStep, lazyStep } = pair(world);
  const a = `${nsName(0)}/waypoint`;
  const b = `${nsName(1)}/waypoint`;
  const same = (key: string) => {
    for (const t of TYPES)
      assert.deepEqual(ids(lazy.cache.get(key, t).values()), ids(eager.cache.get(key, t).values()), `${key} ${t}`);
  };
  const run = (changes: Change[]) => {
    const r = applyChanges(world, changes);
    world = r.world;
    eagerStep.run(world, r.changed);
    return lazyStep.run(world, r.changed).step;
  };

  it('builds nothing before a key is demanded', () => {
    assert.ok(eager.cache.get(a, TypeUrl.Listener).size > 0);
    assert.deepEqual(lazy.cache.keys(), []);
    assert.equal(lazy.translator.outputs.size, 0);
  });

  it("puts a demanded waypoint's complete configuration, Workload list included, in the cache at once", () => {
    assert.equal(lazyStep.demand(a), true);
    assert.equal(lazyStep.demand(a), false, 'a second demand builds nothing');
    same(a);
    assert.deepEqual([...lazy.translator.outputs.keys()], [a]);
    assert.equal(lazy.cache.get(b, TypeUrl.Listener).size, 0);
  });

  it('keeps a demanded key current; a change only undemanded waypoints read translates nothing', () => {
    lazyStep.demand(ZTUNNEL_KEY);
    lazyStep.demand(PROXYLESS_KEY);
    same(ZTUNNEL_KEY);
    same(PROXYLESS_KEY);
    const route = (ns: number) =>
      get(world, 'HTTPRoute', nsName(ns), svcName(ns * 30 + 1)) as KubeObject & { spec: object };
    const other = run([{ op: 'upsert', object: { ...route(1), spec: { ...route(1).spec, rules: [] } } }]);
    assert.deepEqual(other.translated, []);
    const own = run([{ op: 'upsert', object: { ...route(0), spec: { ...route(0).spec, rules: [] } } }]);
    assert.deepEqual(own.translated, [a]);
    same(a);
    same(ZTUNNEL_KEY);
    same(PROXYLESS_KEY);
    lazyStep.demand(b);
    same(b);
  });
});
