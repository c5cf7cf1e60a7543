import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { DebugTypeUrl, TypeUrl } from '../../src/envoy';
import { csdsClient, DeltaClient, SotwClient, unpack } from '../support/xds-client';
import { cluster, route } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';

interface ClientConfig {
  node: { id: string };
  generic_xds_configs: Array<{ type_url: string; config_status: string; error_state: { details: string } | null }>;
}

const A = 'waypoint~10.0.2.1~wp-a.ns1~ns1.svc.cluster.local';
const B = 'waypoint~10.0.2.2~wp-b.ns2~ns2.svc.cluster.local';

describe('syncz and CSDS', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let a: DeltaClient;
  let b: SotwClient;
  let debug: SotwClient;
  before(async () => {
    x = await startXds();
    x.set(A, { [TypeUrl.Cluster]: [cluster('a')], [TypeUrl.Route]: [route('r', 'a')] });
    x.set(B, { [TypeUrl.Cluster]: [cluster('b')] });
    a = new DeltaClient(x.address, { id: A, metadata: { CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.30.3' } });
    b = new SotwClient(x.address, { id: B });
    debug = new SotwClient(x.address, { id: 'debug~0.0.0.0~istioctl.istio-system~istio-system.svc.cluster.local' });
  });
  after(async () => {
    for (const c of [a, b, debug]) c.close();
    await x.close();
  });

  async function syncz(): Promise<Map<string, Record<string, string>>> {
    debug.send({ type_url: DebugTypeUrl.Syncz });
    const r = await debug.next();
    assert.equal(r.type_url, DebugTypeUrl.Syncz);
    const out = new Map<string, Record<string, string>>();
    for (const any of r.resources) {
      assert.equal(any.type_url, 'type.googleapis.com/envoy.service.status.v3.ClientConfig');
      const cfg = unpack<ClientConfig>(any);
      const byType: Record<string, string> = {};
      for (const g of cfg.generic_xds_configs) byType[g.type_url.split('.').pop()!] = g.config_status;
      out.set(cfg.node.id, byType);
    }
    return out;
  }

  it('reports SYNCED, STALE, NOT_SENT and ERROR per proxy and type', async () => {
    a.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const ca = await a.next();
    a.ack(ca);
    a.send({ type_url: TypeUrl.Route, subscribe: ['r'] });
    await a.next(); // not ACKed: STALE
    a.send({ type_url: TypeUrl.Endpoint, subscribe: ['nothing-here'] });
    await a.next(); // answered with the absence, then ACKed below
    b.send({ type_url: TypeUrl.Cluster });
    const cb = await b.next();
    b.nack(cb, 'cluster b rejected');
    await waitFor(() => [...x.server.connections.values()].some((c) => c.states.get(TypeUrl.Cluster)?.error));
    const s = await syncz();
    assert.deepEqual([...s.keys()], ['wp-a.ns1', 'wp-b.ns2'], 'one ClientConfig per proxy, debug stream excluded');
    assert.equal(s.get('wp-a.ns1')!.Cluster, 'SYNCED');
    assert.equal(s.get('wp-a.ns1')!.RouteConfiguration, 'STALE');
    assert.equal(s.get('wp-b.ns2')!.Cluster, 'ERROR');
  });

  it('reports NOT_SENT for a type the proxy never received', async () => {
    const s = await syncz();
    assert.equal(s.get('wp-a.ns1')!.Listener, 'NOT_SENT');
    assert.equal(s.get('wp-b.ns2')!.RouteConfiguration, 'NOT_SENT');
  });

  it('serves the same statuses over CSDS, filtered by node matcher', async () => {
    const client = csdsClient(x.address);
    try {
      const res = await new Promise<{ config: ClientConfig[] }>((resolve, reject) =>
        client.FetchClientStatus({ node_matchers: [{ node_id: { prefix: 'waypoint~10.0.2.2' } }] }, (err, r) =>
          err ? reject(err) : resolve(r),
        ),
      );
      assert.equal(res.config.length, 1);
      assert.equal(res.config[0]!.node.id, 'wp-b.ns2');
      const cds = res.config[0]!.generic_xds_configs.find((g) => g.type_url === TypeUrl.Cluster)!;
      assert.equal(cds.config_status, 'ERROR');
      assert.equal(cds.error_state?.details, 'cluster b rejected');
    } finally {
      client.close();
    }
  });
});
