// Decisions made once per World (reads.ts: PerWorld) and read by both the
// status and the waypoint. A mesh route's backends (route-decision.ts): the
// route's ResolvedRefs condition and the clusters the waypoint routes to come
// from the same value, so a status cannot say a backend resolved while the
// proxy answers 500 for it, or the other way round. A backend policy's
// evaluation (backend-policies.ts): its ancestors' conditions and the rules
// the waypoint applies.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { afterEach, describe, it, mock } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { applyChanges, type KubeObject, type World } from '../../src/model';
import { gw, ns, serviceEntry, worldOf } from '../ambient/fixtures';
import { buildAmbientIndex } from '../../src/ambient';
import {
  DEFAULT_OPTIONS,
  IncrementalTranslator,
  statusesOf,
  translateAll,
  translateWaypoint,
  type ObjectStatus,
} from '../../src/translate';
import { PerWorld } from '../../src/translate/reads';
import { loadManifests } from '../../src/watch/load';
import { PROJECT_ROOT } from '../golden/harness';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };

const objects: KubeObject[] = [
  ns('app', { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' }),
  gw('waypoint', 'app'),
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

function route(
  backends: { name: string; port?: number; group?: string; kind?: string; namespace?: string }[],
): KubeObject {
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

type Reader = 'waypoint' | 'status';

interface Asked {
  reader: Reader;
  world: World;
  key: KubeObject;
  value: unknown;
}

/** Every decision handed out from now on, each with the pass (`as`) that asked for it. */
function watchDecisions(): { asked: Asked[]; as<T>(reader: Reader, fn: () => T): T } {
  const asked: Asked[] = [];
  let reader: Reader | undefined;
  const original = PerWorld.prototype.get;
  mock.method(
    PerWorld.prototype,
    'get',
    function (this: PerWorld<object, unknown>, ...args: Parameters<typeof original>) {
      const value = original.apply(this, args);
      if (reader) asked.push({ reader, world: args[0].world, key: args[1] as KubeObject, value });
      return value;
    },
  );
  return {
    asked,
    as(r, fn) {
      reader = r;
      try {
        return fn();
      } finally {
        reader = undefined;
      }
    },
  };
}

/** Translates every waypoint, then computes the statuses, each pass watched. */
function bothPasses(world: World) {
  const watch = watchDecisions();
  const index = buildAmbientIndex(world, OPTS);
  const waypoints = watch.as('waypoint', () =>
    [...index.waypoints.values()].map((wp) => translateWaypoint(world, index, wp, OPTS)),
  );
  const statuses = watch.as('status', () => statusesOf(world, index, OPTS));
  return { waypoints, statuses, asked: watch.asked };
}

/** For each object of `kind` decided: both passes asked, and got one value. */
function assertShared(asked: readonly Asked[], kind: string): Set<string> {
  const names = new Set(asked.filter((a) => a.key.kind === kind).map((a) => a.key.metadata.name));
  for (const name of names) {
    const mine = asked.filter((a) => a.key.kind === kind && a.key.metadata.name === name);
    assert.deepEqual([...new Set(mine.map((a) => a.reader))].sort(), ['status', 'waypoint'], `${kind} ${name}`);
    assert.equal(new Set(mine.map((a) => a.value)).size, 1, `${kind} ${name}: one value`);
  }
  return names;
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
    const { asked } = bothPasses(worldOf([...objects, r]));
    assert.deepEqual([...assertShared(asked, 'HTTPRoute')], ['r']);
    // Both ports of front build the route, and the status reads it.
    assert.ok(asked.filter((a) => a.reader === 'waypoint').length >= 2);
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
    const first = worldOf([...objects, route([{ name: 'back', port: 80 }])]);
    void t.update(first, 'all').statuses;
    const { world } = applyChanges(first, [{ op: 'upsert', object: route([{ name: 'gone', port: 80 }]) }]);
    const watch = watchDecisions();
    const step = watch.as('waypoint', () => t.update(world, new Set(['HTTPRoute/app/r'])));
    const statuses = watch.as('status', () => step.statuses);
    assert.deepEqual(step.translated, ['app/waypoint']);
    assert.equal(resolvedRefs(statuses)?.status, 'False');
    assert.ok(watch.asked.every((a) => a.world === world));
    assertShared(watch.asked, 'HTTPRoute');
  });
});

describe('a Hostname backendRef istiod refuses (conversion.go: buildDestination)', () => {
  // The entry declares port 80, which a backendRef without a port used to fall back to.
  const entry = {
    ...serviceEntry('shop', 'app'),
    spec: { hosts: ['shop.example.com'], ports: [{ number: 80, name: 'http' }] },
  };
  const hostname = { group: 'networking.istio.io', kind: 'Hostname', name: 'shop.example.com' };
  const cases: [string, Record<string, unknown>, string][] = [
    ['without a port', {}, 'port is required in backendRef'],
    ['with a namespace', { port: 80, namespace: 'app' }, 'namespace may not be set with Hostname type'],
  ];
  for (const [what, extra, message] of cases)
    it(`${what}: ResolvedRefs False InvalidDestination, and its share goes to no cluster (500); the rule's other backend stays`, () => {
      const out = translateAll(
        worldOf([
          ...objects,
          entry,
          route([
            { name: 'back', port: 80 },
            { ...hostname, ...extra },
          ]),
        ]),
        OPTS,
      );
      const c = resolvedRefs(out.statuses);
      assert.deepEqual([c?.status, c?.reason, c?.message], ['False', 'InvalidDestination', message]);
      assert.deepEqual(
        [...routedClusters(out)],
        [
          ['inbound-vip|80|http|back.app.svc.cluster.local', true],
          ['UnknownService', false],
        ],
      );
    });
});

describe('a backend policy is evaluated once; its status and the waypoint read the same evaluation', () => {
  afterEach(() => mock.restoreAll());

  it('every BackendTLSPolicy of the golden case: the status pass and the waypoint get one value', async () => {
    const { world } = await loadManifests([
      join(PROJECT_ROOT, 'test', 'golden', 'cases', 'backend-tls-policy', 'input.yaml'),
    ]);
    const { asked, statuses } = bothPasses(world);
    const names = assertShared(asked, 'BackendTLSPolicy');
    assert.ok(names.has('secure') && names.has('secure-late'), [...names].join(', '));
    // The loser of a conflict says so, from the evaluation that left it out of the waypoint's rules.
    const late = statuses.find((s) => s.kind === 'BackendTLSPolicy' && s.name === 'secure-late');
    assert.equal(late?.parents?.[0]?.conditions.find((c) => c.type === 'Accepted')?.reason, 'Conflicted');
  });
});
