// The guide's bookinfo scenario (examples/bookinfo), loaded the way `serve
// --config-dir` loads it, reproduces the guide's `ztunnel-config service` and
// `ztunnel-config workload` tables: every row the guide prints, in order, and
// the rows its "..." elides written out below.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAmbientIndex, isEnrolled, type AmbientIndex } from '../../src/ambient';
import { inNamespace, objectKey, type World } from '../../src/model';
import { DirectorySource } from '../../src/watch/directory';
import { ConfigStore } from '../../src/watch/store';

const BOOKINFO = join(__dirname, '..', '..', '..', 'examples', 'bookinfo');

// Verbatim from the guide.
const SEED_SERVICES = `
NAMESPACE    SERVICE NAME            SERVICE VIP   WAYPOINT
default      bookinfo-gateway-istio  10.43.164.194 waypoint
default      bookinfo-gateway-istio  10.43.164.194 waypoint
default      bookinfo-gateway-istio  10.43.164.194 waypoint
default      bookinfo-gateway-istio  10.43.164.194 waypoint
default      details                 10.43.160.119 waypoint
default      kubernetes              10.43.0.1     waypoint
default      notsleep                10.43.156.147 waypoint
default      productpage             10.43.172.254 waypoint
default      ratings                 10.43.71.236  waypoint
default      reviews                 10.43.162.105 reviews-svc-waypoint
`;
const SEED_WORKLOADS = `
NAMESPACE    POD NAME                                    IP         NODE                     WAYPOINT                PROTOCOL
default      bookinfo-gateway-istio-7c57fc4647-wjqvm     10.42.2.8  k3d-k3s-default-server-0 None                    TCP
default      details-v1-698d88b-wwsnv                    10.42.2.4  k3d-k3s-default-server-0 None                    HBONE
default      notsleep-685df55c6c-nwhs6                   10.42.0.9  k3d-k3s-default-agent-0  None                    HBONE
default      productpage-v1-675fc69cf-fp65z              10.42.2.6  k3d-k3s-default-server-0 None                    HBONE
default      ratings-v1-6484c4d9bb-crjtt                 10.42.0.4  k3d-k3s-default-agent-0  None                    HBONE
default      reviews-svc-waypoint-c49f9f569-b492t        10.42.2.10 k3d-k3s-default-server-0 None                    TCP
default      reviews-v1-5b5d6494f4-nrvfx                 10.42.2.5  k3d-k3s-default-server-0 None                    HBONE
default      reviews-v2-5b667bcbf8-gj7nz                 10.42.0.5  k3d-k3s-default-agent-0  reviews-v2-pod-waypoint HBONE
`;

// Rows past the guide's "...": the HTTPRoute backends and the waypoints'
// own Services and pods, which never get a waypoint.
const MORE_SERVICES = [
  ['default', 'reviews-svc-waypoint', '10.43.5.11', 'None'],
  ['default', 'reviews-v1', '10.43.33.71', 'waypoint'],
  ['default', 'reviews-v2', '10.43.33.72', 'waypoint'],
  ['default', 'reviews-v2-pod-waypoint', '10.43.5.12', 'None'],
  ['default', 'reviews-v3', '10.43.33.73', 'waypoint'],
  ['default', 'waypoint', '10.43.5.10', 'None'],
];
const MORE_WORKLOADS = [
  ['default', 'reviews-v2-pod-waypoint-7f5dbd597-7zzw7', '10.42.0.11', 'k3d-k3s-default-agent-0', 'None', 'TCP'],
  ['default', 'reviews-v3-7b9b5dbcd7-lx9rf', '10.42.0.6', 'k3d-k3s-default-agent-0', 'None', 'HBONE'],
  ['default', 'waypoint-6f7b665c89-6hppr', '10.42.2.9', 'k3d-k3s-default-server-0', 'None', 'TCP'],
];

/** The data rows of a printed table, split on runs of spaces; repeated rows once. */
function rows(table: string): string[][] {
  const lines = table.trim().split('\n').slice(1);
  // The guide prints bookinfo-gateway-istio four times (one row per port in
  // the istioctl of the time); the mapping it shows is one Service.
  return [...new Set(lines)].map((l) => l.trim().split(/\s+/));
}

async function loadBookinfo(): Promise<World> {
  const store = new ConfigStore();
  const src = new DirectorySource(BOOKINFO);
  store.attach(src);
  await src.start();
  await src.stop();
  store.flush();
  assert.deepEqual(src.errors(), []);
  return store.world;
}

const waypointColumn = (index: AmbientIndex, key: string) => {
  const b = index.bindings.get(key);
  return b?.kind === 'bound' ? b.waypoint.name : 'None';
};

function serviceTable(world: World, index: AmbientIndex): string[][] {
  return inNamespace(world, 'Service', 'default')
    .map((s) => [
      'default',
      s.metadata.name,
      s.spec?.clusterIP ?? '',
      waypointColumn(index, objectKey('Service', 'default', s.metadata.name)),
    ])
    .sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
}

function workloadTable(world: World, index: AmbientIndex): string[][] {
  return inNamespace(world, 'Pod', 'default')
    .map((p) => [
      'default',
      p.metadata.name,
      p.status?.podIP ?? '',
      p.spec?.nodeName ?? '',
      waypointColumn(index, objectKey('Pod', 'default', p.metadata.name)),
      isEnrolled(p, world) ? 'HBONE' : 'TCP',
    ])
    .sort((a, b) => (a[1]! < b[1]! ? -1 : 1));
}

describe('bookinfo from the waypoint guide', () => {
  // In a cluster the waypoints are ready because the example carries their
  // status.addresses; the directory rule must not change any row either.
  for (const assumeReady of [false, true]) {
    it(`binds services exactly as \`ztunnel-config service\` shows (assumeReady ${assumeReady})`, async () => {
      const world = await loadBookinfo();
      const table = serviceTable(world, buildAmbientIndex(world, { assumeReady }));
      assert.deepEqual(table, [...rows(SEED_SERVICES), ...MORE_SERVICES]);
    });

    it(`binds workloads exactly as \`ztunnel-config workload\` shows (assumeReady ${assumeReady})`, async () => {
      const world = await loadBookinfo();
      const table = workloadTable(world, buildAmbientIndex(world, { assumeReady }));
      assert.deepEqual(table, [...rows(SEED_WORKLOADS), ...MORE_WORKLOADS]);
    });
  }

  it('gives every service its pods through its EndpointSlices', async () => {
    const world = await loadBookinfo();
    const index = buildAmbientIndex(world);
    assert.deepEqual(
      index.podsOf('Service/default/reviews').map((p) => p.metadata.name),
      ['reviews-v1-5b5d6494f4-nrvfx', 'reviews-v2-5b667bcbf8-gj7nz', 'reviews-v3-7b9b5dbcd7-lx9rf'],
    );
    assert.deepEqual(
      index.podsOf('Service/default/reviews-v2').map((p) => p.metadata.name),
      ['reviews-v2-5b667bcbf8-gj7nz'],
    );
  });
});
