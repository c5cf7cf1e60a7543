import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient, unpack } from '../support/xds-client';
import { PROJECT_ROOT, runCli, startServe, type Served } from './serve-process';

const ZTUNNEL = 'ztunnel~10.42.0.2~ztunnel-x7k2p.istio-system~istio-system.svc.cluster.local';

interface Addr {
  service?: {
    name: string;
    namespace: string;
    hostname: string;
    waypoint: {
      address?: { address: Buffer };
      hostname?: { namespace: string; hostname: string };
      hbone_mtls_port: number;
    } | null;
  };
  workload?: {
    uid: string;
    name: string;
    tunnel_protocol: string;
    waypoint: unknown;
    services: Record<string, unknown>;
    addresses: Buffer[];
  };
}

describe('workload API for ztunnel and waypoints', () => {
  let dir: string;
  let served: Served;
  const clients: DeltaClient[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-wds-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
  });
  after(async () => {
    for (const c of clients) c.close();
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends ztunnel every service and workload with its waypoint, decodable as istio.workload.Address', async () => {
    const z = new DeltaClient(`127.0.0.1:${served.xdsPort}`, { id: ZTUNNEL });
    clients.push(z);
    z.send({ type_url: TypeUrl.Address, subscribe: ['*'] });
    const r = await z.next();
    z.ack(r);
    const byName = new Map(r.resources.map((x) => [x.name, unpack<Addr>(x.resource!)]));
    const reviews = byName.get('default/reviews.default.svc.cluster.local')!.service!;
    assert.equal(reviews.waypoint?.hbone_mtls_port, 15008);
    assert.deepEqual(
      reviews.waypoint?.hostname,
      { namespace: 'default', hostname: 'reviews-svc-waypoint.default.svc.cluster.local' },
      "the reviews-svc-waypoint Gateway's Hostname status address (waypoints.go: getGatewayAddress)",
    );
    const v2 = byName.get('Kubernetes//Pod/default/reviews-v2-5b667bcbf8-gj7nz')!.workload!;
    assert.equal(v2.tunnel_protocol, 'HBONE');
    assert.ok(v2.waypoint, 'bound to the pod waypoint');
    assert.ok('default/reviews.default.svc.cluster.local' in v2.services);
    const gw = byName.get('Kubernetes//Pod/default/bookinfo-gateway-istio-7c57fc4647-wjqvm')!.workload!;
    assert.equal(gw.tunnel_protocol, 'NONE');
    clients.push(z);

    // A pod change reaches ztunnel as that one Address, not a full re-send.
    const file = join(dir, 'pods.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/10\.42\.0\.9\n/g, '10.42.0.99\n'));
    const upd = await z.next(5000);
    assert.deepEqual(
      upd.resources.map((x) => x.name),
      ['Kubernetes//Pod/default/notsleep-685df55c6c-nwhs6'],
    );
    z.ack(upd);
    await z.expectNone(300);
  });

  it('lets a waypoint subscribe to Workload for its peers', async () => {
    const w = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: 'waypoint~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local',
      metadata: { NAMESPACE: 'default' },
    });
    clients.push(w);
    w.send({ type_url: TypeUrl.Workload, subscribe: ['Kubernetes//Pod/default/productpage-v1-675fc69cf-fp65z'] });
    const r = await w.next();
    assert.deepEqual(
      r.resources.map((x) => x.name),
      ['Kubernetes//Pod/default/productpage-v1-675fc69cf-fp65z'],
    );
    const wl = unpack<{ name: string; canonical_name: string; service_account: string }>(r.resources[0]!.resource!);
    assert.equal(wl.canonical_name, 'productpage');
    assert.equal(wl.service_account, 'bookinfo-productpage');
  });

  it('ztunnel-config gives the same tables from the running server and from the manifests', async () => {
    for (const kind of ['service', 'workload']) {
      const live = await runCli(['ztunnel-config', kind, '--xds-address', `127.0.0.1:${served.xdsPort}`]);
      const offline = await runCli(['ztunnel-config', kind, '-f', dir]);
      assert.equal(live.code, 0, live.stderr);
      assert.equal(live.stdout, offline.stdout);
    }
  });
});
