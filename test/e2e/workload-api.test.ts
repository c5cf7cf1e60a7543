import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient, unpack } from '../support/xds-client';
import { quietOverDebug } from '../support/xds-harness';
import { PROJECT_ROOT, runCli, startServe, type Served } from './serve-process';
import { until } from '../support/until';

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
    await quietOverDebug(served.debugPort, z);
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

  it('ztunnel-config policy and all show the L4 policies ztunnel receives, the same live and from manifests', async () => {
    writeFileSync(join(dir, 'zz-l4-policies.yaml'), L4_POLICIES);
    try {
      const xds = ['--xds-address', `127.0.0.1:${served.xdsPort}`];
      // The directory watch picks the file up; wait until the server sends the policies.
      const live = await until(async () => {
        const r = await runCli(['ztunnel-config', 'policy', ...xds]);
        return /deny-shop/.test(r.stdout) && r;
      }, 'the L4 policies served');
      assert.equal(live.code, 0, live.stderr);
      // istioctl policies.go: PrintPolicySummary's columns, sorted by namespace then name;
      // the waypoint's targetRefs policy is not ztunnel's.
      assert.deepEqual(
        live.stdout
          .trim()
          .split('\n')
          .map((l) => l.split(/\s+/)),
        [
          ['NAMESPACE', 'POLICY', 'NAME', 'ACTION', 'SCOPE'],
          ['default', 'allow-reviews', 'Allow', 'WorkloadSelector'],
          ['default', 'ns-wide', 'Allow', 'Namespace'],
          ['istio-system', 'deny-shop', 'Deny', 'Global'],
        ],
      );
      const offline = await runCli(['ztunnel-config', 'policies', '-f', dir]);
      assert.equal(offline.stdout, live.stdout);
      const json = await runCli(['ztunnel-config', 'pol', '-n', 'default', '-f', dir, '-o', 'json']);
      assert.deepEqual(JSON.parse(json.stdout), [
        { namespace: 'default', name: 'allow-reviews', action: 'Allow', scope: 'WorkloadSelector' },
        { namespace: 'default', name: 'ns-wide', action: 'Allow', scope: 'Namespace' },
      ]);
      // istioctl configdump.go PrintFullSummary: workloads, services, policies, each after a blank line.
      const all = await runCli(['ztunnel-config', 'all', ...xds, '--with-headers']);
      assert.equal(all.code, 0, all.stderr);
      assert.match(
        all.stdout,
        /^\n------ WORKLOAD INFO ------\n\nNAMESPACE\s+POD NAME\s+IP\s+NODE\s+WAYPOINT\s+PROTOCOL\n/,
      );
      assert.match(all.stdout, /\n\n------ SERVICE INFO ------\n\nNAMESPACE\s+SERVICE NAME\s+SERVICE VIP/);
      assert.ok(all.stdout.endsWith(`\n\n------ POLICY INFO ------\n\n${live.stdout}`), all.stdout);
      const allOffline = await runCli(['ztunnel-config', 'all', '-f', dir, '--with-headers']);
      assert.equal(allOffline.stdout, all.stdout);
      const allJson = JSON.parse((await runCli(['ztunnel-config', 'all', '-f', dir, '-o', 'json'])).stdout) as Record<
        string,
        unknown[]
      >;
      assert.deepEqual(Object.keys(allJson), ['workloads', 'services', 'policies']);
      assert.equal(allJson.policies!.length, 3);
      const bad = await runCli(['ztunnel-config', 'certs', '-f', dir]);
      assert.equal(bad.code, 64);
      assert.match(bad.stderr, /"certs" is not one of service, workload, policy, all/);
    } finally {
      rmSync(join(dir, 'zz-l4-policies.yaml'));
    }
  });
});

// One policy of each ztunnel scope, and one bound to a waypoint (not sent to ztunnel).
const L4_POLICIES = `apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: allow-reviews, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  action: ALLOW
  rules: [{ from: [{ source: { namespaces: [default] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ns-wide, namespace: default }
spec:
  rules: [{ to: [{ operation: { ports: ['9080'] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: deny-shop, namespace: istio-system }
spec:
  action: DENY
  rules: [{ from: [{ source: { namespaces: [shop] } }] }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: waypoint-only, namespace: default }
spec:
  targetRefs: [{ kind: Gateway, group: gateway.networking.k8s.io, name: waypoint }]
  action: ALLOW
  rules: [{ from: [{ source: { namespaces: [default] } }] }]
`;
