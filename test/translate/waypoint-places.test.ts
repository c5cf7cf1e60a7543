// EDS shaped by the locality of the proxy that receives it, as istiod builds
// it per connected proxy (endpoint_builder.go: BuildClusterLoadAssignment;
// ads.go: setTopologyLabels). A waypoint whose pods span two zones keeps one
// shared translation (endpoints unranked) and gets one per zone of its
// proxies; a waypoint in one zone keeps its single translation.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS, IncrementalTranslator, translateAll, translateWaypoint } from '../../src/translate';
import { placeKey, placeOf } from '../../src/translate/place-key';
import { parseNode } from '../../src/xds';
import { proxyKeyFor } from '../../src/server/proxy-key';
import { mayMovePlaces } from '../../src/server/proxy-place';
import { proxyAccess } from '../../src/server/proxy-auth';
import { nodeOf } from '../support/xds-client';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
const FIXTURES = join(__dirname, '..', '..', '..', 'test', 'e2e', 'fixtures');
const FIXTURE = join(FIXTURES, 'waypoint-two-zones.yaml');
const TIERS = join(FIXTURES, 'waypoint-two-tiers.yaml');
const CLUSTER = 'inbound-vip|80|http|echo.app.svc.cluster.local';
const ZONE_A = 'r1/a/';
const ZONE_B = 'r1/b/';

function worldOf(edit: (objects: KubeObject[]) => KubeObject[] = (o) => o, fixture = FIXTURE): World {
  const objects = parseAllDocuments(readFileSync(fixture, 'utf8')).map((d) => d.toJSON() as KubeObject);
  return applyChanges(
    EMPTY_WORLD,
    edit(objects).map((object) => ({ op: 'upsert' as const, object })),
  ).world;
}

/** The priority of each backend's endpoint in the service's EDS. */
function priorities(resources: ReadonlyMap<string, readonly { name: string; messageName: string; body: unknown }[]>) {
  const r = (resources.get(TypeUrl.Endpoint) ?? []).find((x) => x.name === CLUSTER);
  assert.ok(r, 'the service has its EDS');
  const cla = toProtoJson(r.messageName, r.body as never) as J;
  const got: Record<string, number> = {};
  for (const g of cla.endpoints as J[])
    for (const e of g.lbEndpoints as J[])
      got[String(e.endpoint.address.envoyInternalAddress.endpointId).split(':')[0]!] = g.priority ?? 0;
  return got;
}

const waypointNode = (pod: string, locality?: { region: string; zone: string }) => {
  const n = nodeOf({
    id: `sidecar~10.244.9.9~${pod}.app~app.svc.cluster.local`,
    metadata: { NAMESPACE: 'app', LABELS: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
  });
  return parseNode({ ...n, ...(locality ? { locality } : {}) } as Parameters<typeof parseNode>[0]);
};

describe('EDS per waypoint pod locality', () => {
  const world = worldOf();
  const all = translateAll(world, OPTS);
  const wp = all.index.waypoints.get('app/waypoint')!;

  it('leaves the shared translation of a waypoint in two zones unranked', () =>
    assert.deepEqual(priorities(all.waypoints.get('app/waypoint')!.resources), {
      '10.244.1.1': 0,
      '10.244.1.2': 0,
    }));

  it('ranks the other zone second for a proxy in zone a, and the reverse for zone b', () => {
    const a = translateWaypoint(world, all.index, wp, OPTS, undefined, ZONE_A);
    const b = translateWaypoint(world, all.index, wp, OPTS, undefined, ZONE_B);
    assert.equal(a.key, placeKey('app/waypoint', ZONE_A));
    assert.deepEqual(priorities(a.resources), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.deepEqual(priorities(b.resources), { '10.244.1.1': 1, '10.244.1.2': 0 });
  });

  it('keys each proxy by its pod’s zone, or by its node’s locality when the pod is unknown', () => {
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-aaaaa'), all.index, undefined, world), 'app/waypoint@r1/a/');
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-bbbbb'), all.index, undefined, world), 'app/waypoint@r1/b/');
    assert.equal(
      proxyKeyFor(waypointNode('waypoint-5d8f-ccccc', { region: 'r1', zone: 'b' }), all.index, undefined, world),
      'app/waypoint@r1/b/',
    );
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-ccccc'), all.index, undefined, world), 'app/waypoint');
  });

  it("gives a place key only to the waypoint's service account", () => {
    const access = proxyAccess('istio-system');
    const proxy = waypointNode('waypoint-5d8f-aaaaa');
    const as = (serviceAccount: string) =>
      ({ trustDomain: 'cluster.local', namespace: 'app', serviceAccount, via: 'token' }) as const;
    assert.equal(access.denyConfig(proxy, 'app/waypoint@r1/a/', as('waypoint')), undefined);
    assert.match(
      access.denyConfig(proxy, 'app/waypoint@r1/a/', as('other')) ?? '',
      /may not act as waypoint app\/waypoint /,
    );
  });

  it('keeps one key, and the ranked shared translation, while the waypoint’s pods share one zone', () => {
    const one = worldOf((objects) => objects.filter((o) => o.metadata.name !== 'waypoint-5d8f-bbbbb'));
    const r = translateAll(one, OPTS);
    assert.deepEqual(priorities(r.waypoints.get('app/waypoint')!.resources), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-aaaaa'), r.index, undefined, one), 'app/waypoint');
  });

  it('keeps a demanded place current as the world changes, and drops it with its waypoint', () => {
    const t = new IncrementalTranslator(OPTS, { onDemand: true });
    t.update(world, 'all');
    const key = placeKey('app/waypoint', ZONE_B);
    assert.equal(t.demand(key), true);
    assert.equal(t.demand(key), false);
    assert.deepEqual(priorities(t.translateNow(key)!.resources), { '10.244.1.1': 1, '10.244.1.2': 0 });
    // echo-b moves to zone a: for the zone-b proxy both endpoints are now one zone away.
    const moved = worldOf((objects) =>
      objects.map((o) =>
        o.metadata.name === 'echo-b'
          ? ({ ...o, spec: { ...(o as unknown as J).spec, nodeName: 'node-a' } } as KubeObject)
          : o,
      ),
    );
    const step = t.update(moved, new Set(['Pod/app/echo-b']));
    assert.ok(step.translated.includes(key), step.translated.join(','));
    assert.deepEqual(priorities(t.outputs.get(key)!.resources), { '10.244.1.1': 0, '10.244.1.2': 0 });
    const gone = applyChanges(moved, [{ op: 'delete', kind: 'Gateway', namespace: 'app', name: 'waypoint' }] as never);
    const last = t.update(gone.world, gone.changed);
    assert.ok(last.removed.includes(key));
  });
});

describe('EDS per failoverPriority label of the waypoint pod (loadbalancer.go: applyFailoverPriorities; endpoint_builder.go: WriteHash)', () => {
  const world = worldOf(undefined, TIERS);
  const all = translateAll(world, OPTS);
  const wp = all.index.waypoints.get('app/waypoint')!;
  const GOLD = placeOf(ZONE_A, { tier: 'gold' });
  const SILVER = placeOf(ZONE_A, { tier: 'silver' });

  it('keys each proxy by its pod’s tier when two pods of one zone differ only in it', () => {
    assert.equal(GOLD, 'r1/a/;tier=gold');
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-aaaaa'), all.index, undefined, world), `app/waypoint@${GOLD}`);
    assert.equal(
      proxyKeyFor(waypointNode('waypoint-5d8f-bbbbb'), all.index, undefined, world),
      `app/waypoint@${SILVER}`,
    );
    // A proxy whose pod is unknown: its xDS node's locality and `LABELS`.
    const unknown = { ...waypointNode('waypoint-5d8f-ccccc', { region: 'r1', zone: 'a' }), labels: { tier: 'silver' } };
    assert.equal(proxyKeyFor(unknown, all.index, undefined, world), `app/waypoint@${SILVER}`);
  });

  it('ranks the proxy’s own tier first, and leaves the shared translation unranked', () => {
    const gold = translateWaypoint(world, all.index, wp, OPTS, undefined, GOLD);
    const silver = translateWaypoint(world, all.index, wp, OPTS, undefined, SILVER);
    assert.deepEqual(priorities(gold.resources), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.deepEqual(priorities(silver.resources), { '10.244.1.1': 1, '10.244.1.2': 0 });
    assert.deepEqual(priorities(all.waypoints.get('app/waypoint')!.resources), { '10.244.1.1': 0, '10.244.1.2': 0 });
  });

  it('keeps one key while the pods share their tier, or no rule names the label', () => {
    const same = worldOf(
      (objects) =>
        objects.map((o) =>
          o.metadata.name === 'waypoint-5d8f-bbbbb'
            ? ({ ...o, metadata: { ...o.metadata, labels: { ...o.metadata.labels, tier: 'gold' } } } as KubeObject)
            : o,
        ),
      TIERS,
    );
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-bbbbb'), all.index, undefined, same), 'app/waypoint');
    const unnamed = worldOf((objects) => objects.filter((o) => o.kind !== 'DestinationRule'), TIERS);
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-bbbbb'), all.index, undefined, unnamed), 'app/waypoint');
  });

  it('moves proxies when a rule starts or stops naming the label (proxy-place.ts: mayMovePlaces)', () => {
    const unnamed = worldOf((objects) => objects.filter((o) => o.kind !== 'DestinationRule'), TIERS);
    assert.equal(mayMovePlaces(new Set(['DestinationRule/app/echo']), unnamed, world), true);
    assert.equal(mayMovePlaces(new Set(['DestinationRule/app/echo']), world, world), false);
    assert.equal(mayMovePlaces(new Set(['Service/app/echo']), unnamed, world), false);
  });
});

describe("EDS per label of the mesh config's localityLbSetting.failoverPriority (loadbalancer.go: GetEffectiveLbSetting)", () => {
  /** The two-tier fixture with the rule keeping only its outlier detection, the mesh config naming `tier`. */
  const meshTiers = (mesh: string) =>
    worldOf(
      (objects) => [
        ...objects.map((o) =>
          o.kind === 'DestinationRule'
            ? ({
                ...o,
                spec: { ...(o as unknown as J).spec, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } } },
              } as KubeObject)
            : o,
        ),
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio', namespace: 'istio-system' },
          data: { mesh },
        } as KubeObject,
      ],
      TIERS,
    );
  const world = meshTiers('localityLbSetting:\n  failoverPriority: [tier]\n');
  const all = translateAll(world, OPTS);
  const wp = all.index.waypoints.get('app/waypoint')!;
  const GOLD = placeOf(ZONE_A, { tier: 'gold' });
  const SILVER = placeOf(ZONE_A, { tier: 'silver' });

  it('keys each proxy by its pod’s tier, and ranks its own tier first', () => {
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-aaaaa'), all.index, undefined, world), `app/waypoint@${GOLD}`);
    assert.equal(
      proxyKeyFor(waypointNode('waypoint-5d8f-bbbbb'), all.index, undefined, world),
      `app/waypoint@${SILVER}`,
    );
    const gold = translateWaypoint(world, all.index, wp, OPTS, undefined, GOLD);
    const silver = translateWaypoint(world, all.index, wp, OPTS, undefined, SILVER);
    assert.deepEqual(priorities(gold.resources), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.deepEqual(priorities(silver.resources), { '10.244.1.1': 1, '10.244.1.2': 0 });
  });

  it('splits nothing when the setting is disabled, and moves proxies when the mesh config changes', () => {
    const off = meshTiers('localityLbSetting:\n  enabled: false\n  failoverPriority: [tier]\n');
    assert.equal(proxyKeyFor(waypointNode('waypoint-5d8f-aaaaa'), all.index, undefined, off), 'app/waypoint');
    const mesh = new Set(['ConfigMap/istio-system/istio']);
    assert.equal(mayMovePlaces(mesh, off, world), true);
    assert.equal(mayMovePlaces(mesh, world, world), false);
  });
});
