// The guide's scenario reproduces the WAYPOINT column of its
// `ztunnel-config service` and `ztunnel-config workload` tables exactly.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAmbientIndex, isEnrolled } from '../../src/ambient';
import { list } from '../../src/model';
import { DirectorySource } from '../../src/watch/directory';
import { ConfigStore } from '../../src/watch/store';

const BOOKINFO = join(__dirname, '..', '..', '..', 'examples', 'bookinfo');

async function loadBookinfo() {
  const store = new ConfigStore();
  const src = new DirectorySource(BOOKINFO);
  store.attach(src);
  await src.start();
  await src.stop();
  store.flush();
  assert.deepEqual(src.errors(), []);
  return store.world;
}

describe('bookinfo from the waypoint guide', () => {
  it('binds services exactly as `ztunnel-config service` shows', async () => {
    const world = await loadBookinfo();
    const index = buildAmbientIndex(world, { assumeReady: true });
    const column = (name: string) => {
      const b = index.bindings.get(`Service/default/${name}`);
      return b?.kind === 'bound' ? b.waypoint.name : 'None';
    };
    // NAMESPACE SERVICE NAME SERVICE VIP WAYPOINT, as printed in the guide.
    const seed = [
      ['bookinfo-gateway-istio', '10.43.164.194', 'waypoint'],
      ['details', '10.43.160.119', 'waypoint'],
      ['kubernetes', '10.43.0.1', 'waypoint'],
      ['notsleep', '10.43.156.147', 'waypoint'],
      ['productpage', '10.43.172.254', 'waypoint'],
      ['ratings', '10.43.71.236', 'waypoint'],
      ['reviews', '10.43.162.105', 'reviews-svc-waypoint'],
    ];
    for (const [name, vip, waypoint] of seed) {
      const svc = list(world, 'Service').find((s) => s.metadata.name === name)!;
      assert.equal(svc.spec?.clusterIP, vip, name);
      assert.equal(column(name!), waypoint, name);
    }
    assert.equal(column('waypoint'), 'None', "a waypoint's own Service has no waypoint");
  });

  it('binds workloads exactly as `ztunnel-config workload` shows', async () => {
    const world = await loadBookinfo();
    const index = buildAmbientIndex(world, { assumeReady: true });
    // NAMESPACE POD NAME IP NODE WAYPOINT PROTOCOL, as printed in the guide.
    const seed = [
      ['bookinfo-gateway-istio-7c57fc4647-wjqvm', '10.42.2.8', 'k3d-k3s-default-server-0', 'None', 'TCP'],
      ['details-v1-698d88b-wwsnv', '10.42.2.4', 'k3d-k3s-default-server-0', 'None', 'HBONE'],
      ['notsleep-685df55c6c-nwhs6', '10.42.0.9', 'k3d-k3s-default-agent-0', 'None', 'HBONE'],
      ['productpage-v1-675fc69cf-fp65z', '10.42.2.6', 'k3d-k3s-default-server-0', 'None', 'HBONE'],
      ['ratings-v1-6484c4d9bb-crjtt', '10.42.0.4', 'k3d-k3s-default-agent-0', 'None', 'HBONE'],
      ['reviews-svc-waypoint-c49f9f569-b492t', '10.42.2.10', 'k3d-k3s-default-server-0', 'None', 'TCP'],
      ['reviews-v1-5b5d6494f4-nrvfx', '10.42.2.5', 'k3d-k3s-default-server-0', 'None', 'HBONE'],
      ['reviews-v2-5b667bcbf8-gj7nz', '10.42.0.5', 'k3d-k3s-default-agent-0', 'reviews-v2-pod-waypoint', 'HBONE'],
    ];
    for (const [name, ip, node, waypoint, protocol] of seed) {
      const pod = list(world, 'Pod').find((p) => p.metadata.name === name)!;
      assert.equal(pod.status?.podIP, ip, name);
      assert.equal(pod.spec?.nodeName, node, name);
      const b = index.bindings.get(`Pod/default/${name}`);
      assert.equal(b?.kind === 'bound' ? b.waypoint.name : 'None', waypoint, name);
      assert.equal(isEnrolled(pod, world) ? 'HBONE' : 'TCP', protocol, name);
    }
  });
});
