// A waypoint whose pods run in two zones: each proxy receives EDS ranked from
// its own zone, as istiod builds EDS per connected proxy
// (pilot/pkg/xds/endpoints/endpoint_builder.go: BuildClusterLoadAssignment;
// pilot/pkg/xds/ads.go: setTopologyLabels). When one pod goes, the waypoint
// is in one zone again and its proxies share one configuration.
import { strict as assert } from 'node:assert';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient, unpack, type SotwResponse } from '../support/xds-client';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const FIXTURE = join(PROJECT_ROOT, 'test', 'e2e', 'fixtures', 'waypoint-two-zones.yaml');
const CLUSTER = 'inbound-vip|80|http|echo.app.svc.cluster.local';

const waypointNode = (pod: string) => ({
  id: `waypoint~10.244.9.9~${pod}.app~app.svc.cluster.local`,
  metadata: { NAMESPACE: 'app', LABELS: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
});

interface Cla {
  endpoints: {
    priority?: number;
    lb_endpoints: { endpoint: { address: { envoy_internal_address: { endpoint_id: string } } } }[];
  }[];
}

/** The priority of each backend in one EDS response. */
function priorities(r: SotwResponse): Record<string, number> {
  assert.equal(r.resources.length, 1);
  const cla = unpack<Cla>(r.resources[0]!);
  const got: Record<string, number> = {};
  for (const g of cla.endpoints)
    for (const e of g.lb_endpoints)
      got[e.endpoint.address.envoy_internal_address.endpoint_id.split(':')[0]!] = g.priority ?? 0;
  return got;
}

/** Proxy connection of one waypoint pod, with its first EDS response. */
interface Proxy {
  c: SotwClient;
  eds: SotwResponse;
}

/**
 * `serve` on a copy of `fixture` (as `app.yaml` in a directory of its own),
 * started before and stopped after the enclosing describe's tests; `connect`
 * opens a proxy of a waypoint pod subscribed to the service's EDS.
 */
function serveFixture(fixture: string): { dir: () => string; connect: (pod: string) => Promise<Proxy> } {
  let dir = '';
  let served: Served;
  const clients: SotwClient[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'serve-places-'));
    copyFileSync(fixture, join(dir, 'app.yaml'));
    served = await startServe(['--config-dir', dir]);
  });
  after(async () => {
    for (const c of clients) c.close();
    await served.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir: () => dir,
    async connect(pod) {
      const c = new SotwClient(`127.0.0.1:${served.xdsPort}`, waypointNode(pod));
      clients.push(c);
      c.send({ type_url: TypeUrl.Endpoint, resource_names: [CLUSTER] });
      const eds = await c.next(10_000);
      c.ack(eds);
      return { c, eds };
    },
  };
}

describe('serve shapes EDS per waypoint pod locality', () => {
  const { dir, connect } = serveFixture(FIXTURE);

  let a: Proxy;
  let b: Proxy;

  it('gives the proxy in zone a its zone first and the proxy in zone b its own', async () => {
    a = await connect('waypoint-5d8f-aaaaa');
    b = await connect('waypoint-5d8f-bbbbb');
    assert.deepEqual(priorities(a.eds), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.deepEqual(priorities(b.eds), { '10.244.1.1': 1, '10.244.1.2': 0 });
  });

  it("moves the remaining proxies to the waypoint's one zone when the zone-b pod goes", async () => {
    const text = readFileSync(FIXTURE, 'utf8');
    const docs = text.split('\n---\n').filter((d) => !d.includes('name: waypoint-5d8f-bbbbb'));
    writeFileSync(join(dir(), 'app.yaml'), docs.join('\n---\n'));
    // The zone-b proxy, still connected, now gets what every proxy of the waypoint shares: ranked from zone a.
    const pushed = await b.c.next(10_000);
    assert.deepEqual(priorities(pushed), { '10.244.1.1': 0, '10.244.1.2': 1 });
  });
});

// Two waypoint pods in one zone that differ only in a label the
// DestinationRule's failoverPriority names: istiod ranks each proxy's EDS by
// its own labels (loadbalancer.go: applyFailoverPriorities; the EDS cache key
// carries the label values: endpoint_builder.go: WriteHash), so each gets its
// own tier first.
describe('serve shapes EDS per waypoint pod failoverPriority label', () => {
  const TIERS = join(PROJECT_ROOT, 'test', 'e2e', 'fixtures', 'waypoint-two-tiers.yaml');
  const { dir, connect } = serveFixture(TIERS);

  let silver: Proxy;

  it('gives the gold proxy the gold endpoint first and the silver proxy the silver one', async () => {
    const gold = await connect('waypoint-5d8f-aaaaa');
    silver = await connect('waypoint-5d8f-bbbbb');
    assert.deepEqual(priorities(gold.eds), { '10.244.1.1': 0, '10.244.1.2': 1 });
    assert.deepEqual(priorities(silver.eds), { '10.244.1.1': 1, '10.244.1.2': 0 });
  });

  it('moves the proxies to one shared configuration when the rule stops naming the label', async () => {
    const text = readFileSync(TIERS, 'utf8');
    writeFileSync(join(dir(), 'app.yaml'), text.replace('failoverPriority: [tier]', 'failoverPriority: []'));
    // Without failoverPriority every endpoint is in the pods' one zone: one priority.
    const pushed = await silver.c.next(10_000);
    assert.deepEqual(priorities(pushed), { '10.244.1.1': 0, '10.244.1.2': 0 });
  });
});
