// The istio.io "egress gateways with waypoints" scenario over xDS: the entries
// a waypoint serves reach it as clusters, chains and routes, ztunnel learns
// the same hosts and addresses as served by that waypoint, and taking the
// label off an entry takes its resources away again.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient, unpack } from '../support/xds-client';
import { PROJECT_ROOT, startServe, type Served } from './serve-process';

const NODE = 'waypoint~10.42.3.7~waypoint-5d8f7b9c6d-q2x9z.istio-egress~istio-egress.svc.cluster.local';
const ZTUNNEL = 'ztunnel~10.42.0.2~ztunnel-x7k2p.istio-system~istio-system.svc.cluster.local';
const HTTPBIN = 'inbound-vip|80|http|httpbin.org';
const WIKI = 'inbound-vip|80|http|*.wikipedia.org';

/** The wildcard entry of the guide, added to the route-parent case's egress namespace. */
const WILDCARD = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: wikipedia
  namespace: istio-egress
  labels:
    istio.io/use-waypoint: waypoint
spec:
  hosts: ["*.wikipedia.org"]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DYNAMIC_DNS
status:
  addresses: [{host: "*.wikipedia.org", value: 240.240.0.9}]
`;

type Cluster = { name: string; type?: string; cluster_type?: { name: string } };
type Listener = { filter_chains: { name: string }[] };
type RouteConfig = {
  virtual_hosts: {
    routes: { route?: { cluster?: string }; request_headers_to_add?: { header: { key: string } }[] }[];
  }[];
};
type Addr = {
  service?: {
    hostname: string;
    addresses: { address: Buffer }[];
    waypoint: { hostname?: { namespace: string; hostname: string } } | null;
  };
};

describe('egress through a waypoint: ServiceEntries over xDS', () => {
  let dir: string;
  let served: Served;
  const clients: DeltaClient[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-egress-'));
    cpSync(
      join(PROJECT_ROOT, 'test', 'golden', 'cases', 'serviceentry-route-parent', 'input.yaml'),
      join(dir, 'egress.yaml'),
    );
    writeFileSync(join(dir, 'wildcard.yaml'), WILDCARD);
    served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
  });
  after(async () => {
    for (const c of clients) c.close();
    const code = await served?.stop();
    assert.equal(code, 0, 'SIGTERM shuts down cleanly');
    rmSync(dir, { recursive: true, force: true });
  });

  it("serves the waypoint each entry's cluster, chain and route, and ztunnel the entries as served by it", async () => {
    const c = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: NODE,
      metadata: {
        NAMESPACE: 'istio-egress',
        LABELS: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' },
        CLUSTER_ID: 'Kubernetes',
      },
    });
    clients.push(c);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const cds = await c.next();
    c.ack(cds);
    const clusters = new Map(cds.resources.map((r) => [r.name, unpack<Cluster>(r.resource!)]));
    assert.equal(clusters.get(HTTPBIN)?.type, 'STRICT_DNS', 'DNS resolution (cluster.go: convertResolution)');
    assert.equal(
      clusters.get(WIKI)?.cluster_type?.name,
      'envoy.clusters.dynamic_forward_proxy',
      'DYNAMIC_DNS (cluster_builder.go: buildDFPCluster)',
    );

    c.send({ type_url: TypeUrl.Listener, subscribe: ['main_internal'] });
    const lds = await c.next();
    c.ack(lds);
    const chains = unpack<Listener>(lds.resources[0]!.resource!).filter_chains.map((f) => f.name);
    assert.ok(chains.includes(HTTPBIN) && chains.includes(WIKI), chains.join(','));

    c.send({ type_url: TypeUrl.Route, subscribe: [HTTPBIN] });
    const rds = await c.next();
    c.ack(rds);
    const routes = unpack<RouteConfig>(rds.resources[0]!.resource!).virtual_hosts[0]!.routes;
    const guide = routes.find((r) => r.request_headers_to_add?.some((h) => h.header.key === 'x-istio-workload'));
    assert.equal(guide?.route?.cluster, HTTPBIN, "the guide's HTTPRoute, to the Hostname backend's own cluster");

    const z = new DeltaClient(`127.0.0.1:${served.xdsPort}`, { id: ZTUNNEL });
    clients.push(z);
    z.send({ type_url: TypeUrl.Address, subscribe: ['*'] });
    const wds = await z.next();
    z.ack(wds);
    const httpbin = wds.resources.find((r) => r.name === 'istio-egress/httpbin.org');
    assert.ok(httpbin, 'ztunnel knows the entry host');
    const svc = unpack<Addr>(httpbin.resource!).service!;
    assert.deepEqual([...svc.addresses[0]!.address], [240, 240, 0, 1], 'the allocated address the waypoint matches');
    assert.equal(svc.waypoint?.hostname?.hostname, 'waypoint.istio-egress.svc.cluster.local');

    // Unlabelled, the entry is no longer the waypoint's: its cluster goes away.
    const file = join(dir, 'egress.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('    istio.io/use-waypoint: waypoint\n', ''));
    for (;;) {
      const upd = await c.next(5000);
      c.ack(upd);
      if (upd.type_url === TypeUrl.Cluster) {
        assert.ok(upd.removed_resources.includes(HTTPBIN), upd.removed_resources.join(','));
        break;
      }
    }
  });
});
