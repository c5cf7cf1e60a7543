// A mesh route's backends are decided once per World (route-decision.ts):
// the route's ResolvedRefs condition and the clusters the waypoint routes to
// come from the same value, so a status cannot say a backend resolved while
// the proxy answers 500 for it, or the other way round.
import { strict as assert } from 'node:assert';
import { afterEach, describe, it, mock } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator, translateAll, type ObjectStatus } from '../../src/translate';
import { PerWorld } from '../../src/translate/reads';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

const objects: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  },
  // Two ports, so the waypoint builds the route twice from one decision.
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'front', namespace: 'app' },
    spec: {
      clusterIP: '10.96.0.10',
      ports: [
        { name: 'http', port: 80 },
        { name: 'http-alt', port: 8080 },
      ],
    },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'back', namespace: 'app' },
    spec: { clusterIP: '10.96.0.11', ports: [{ name: 'http', port: 80 }] },
  },
];

function route(backends: { name: string; port?: number; group?: string; kind?: string }[]): KubeObject {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'app', generation: 1 },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: 'front' }],
      rules: [{ backendRefs: backends }],
    },
  } as KubeObject;
}

const worldOf = (list: KubeObject[]): World =>
  applyChanges(
    EMPTY_WORLD,
    list.map((object) => ({ op: 'upsert' as const, object })),
  ).world;

interface Asked {
  reader: 'waypoint' | 'status';
  world: World;
  key: object;
  value: unknown;
}

/** Every decision handed out while `fn` runs, with who asked for it. */
function watchDecisions<T>(fn: () => T): { result: T; asked: Asked[] } {
  const asked: Asked[] = [];
  const original = PerWorld.prototype.get;
  mock.method(
    PerWorld.prototype,
    'get',
    function (this: PerWorld<object, unknown>, ctx: { world: World }, key: object) {
      const value = original.call(this, ctx, key);
      asked.push({ reader: 'waypoint' in ctx ? 'waypoint' : 'status', world: ctx.world, key, value });
      return value;
    },
  );
  return { result: fn(), asked };
}

const resolvedRefs = (statuses: readonly ObjectStatus[]) =>
  statuses.find((s) => s.kind === 'HTTPRoute')?.parents?.[0]?.conditions.find((c) => c.type === 'ResolvedRefs');

/** The clusters the waypoint's routes for front:80 send to, and whether CDS has each. */
function routedClusters(out: ReturnType<typeof translateAll>): Map<string, boolean> {
  const wp = [...out.waypoints.values()][0];
  assert.ok(wp);
  const cds = new Set((wp.resources.get(TypeUrl.Cluster) ?? []).map((r) => r.name));
  const port = wp.ir.services.find((s) => s.name === 'front')?.ports.find((p) => p.port === 80);
  const clusters = (port?.httpRoutes ?? []).flatMap((r) => r.backends.map((b) => b.cluster));
  return new Map(clusters.map((c) => [c, cds.has(c)]));
}

describe('a route decides its backends once; status and waypoint read the same decision', () => {
  afterEach(() => mock.restoreAll());

  it('the status pass and every service port of the waypoint get the one value computed for the World', () => {
    const r = route([
      { name: 'back', port: 80 },
      { name: 'gone', port: 80 },
    ]);
    const world = worldOf([...objects, r]);
    const { asked } = watchDecisions(() => translateAll(world, OPTS));
    const forRoute = asked.filter((a) => (a.key as KubeObject).metadata?.name === 'r');
    const readers = new Set(forRoute.map((a) => a.reader));
    assert.deepEqual([...readers].sort(), ['status', 'waypoint']);
    // Both ports of front and the status: at least three readers, one value.
    assert.ok(forRoute.length >= 3, `asked ${forRoute.length} times`);
    assert.equal(new Set(forRoute.map((a) => a.value)).size, 1);
  });

  it('what ResolvedRefs reports is what the waypoint routes: a missing Service is a share with no cluster', () => {
    const out = translateAll(
      worldOf([
        ...objects,
        route([
          { name: 'back', port: 80 },
          { name: 'gone', port: 80 },
        ]),
      ]),
      OPTS,
    );
    const c = resolvedRefs(out.statuses);
    assert.equal(c?.status, 'False');
    assert.equal(c?.reason, 'BackendNotFound');
    assert.match(c?.message ?? '', /Service app\/gone not found/);
    assert.deepEqual(
      [...routedClusters(out)],
      [
        ['inbound-vip|80|http|back.app.svc.cluster.local', true],
        ['inbound-vip|80|http|gone.app.svc.cluster.local', false],
      ],
    );
  });

  it('when every backend resolves, ResolvedRefs is True and every routed cluster is served', () => {
    const out = translateAll(worldOf([...objects, route([{ name: 'back', port: 80 }])]), OPTS);
    assert.equal(resolvedRefs(out.statuses)?.status, 'True');
    assert.deepEqual([...routedClusters(out).values()], [true]);
  });

  it('after an edit, the incremental step decides again, once, for the new World', () => {
    const t = new IncrementalTranslator(OPTS);
    const before = route([{ name: 'back', port: 80 }]);
    const first = worldOf([...objects, before]);
    t.update(first, 'all');
    void t.update(first, 'all').statuses;
    const after = route([{ name: 'gone', port: 80 }]);
    const { world } = applyChanges(first, [{ op: 'upsert', object: after }]);
    const { result: step, asked } = watchDecisions(() => {
      const s = t.update(world, new Set(['HTTPRoute/app/r']));
      return { translated: s.translated, statuses: s.statuses };
    });
    assert.deepEqual(step.translated, ['app/waypoint']);
    assert.equal(resolvedRefs(step.statuses)?.status, 'False');
    const forRoute = asked.filter((a) => (a.key as KubeObject).metadata?.name === 'r');
    assert.ok(forRoute.every((a) => a.world === world));
    assert.deepEqual([...new Set(forRoute.map((a) => a.reader))].sort(), ['status', 'waypoint']);
    assert.equal(new Set(forRoute.map((a) => a.value)).size, 1);
  });
});
