import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { until } from '../support/until';
import { DeltaClient, unpack } from '../support/xds-client';
import { quietOverDebug } from '../support/xds-harness';
import { PROJECT_ROOT, runCli, startServe, type Served } from './serve-process';

const NODE = 'waypoint~10.42.2.10~reviews-svc-waypoint-c49f9f569-b492t.default~default.svc.cluster.local';
const REVIEWS_ROUTE = 'inbound-vip|9080|http|reviews.default.svc.cluster.local';

describe('istiod-lite serve, end to end on a manifest directory', () => {
  let dir: string;
  let served: Served;
  let client: DeltaClient;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-e2e-'));
    cpSync(join(PROJECT_ROOT, 'examples', 'bookinfo'), dir, { recursive: true });
    served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
  });
  after(async () => {
    client?.close();
    const code = await served?.stop();
    assert.equal(code, 0, 'SIGTERM shuts down cleanly');
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /ready once synced and exposes metrics', async () => {
    const ready = await fetch(`http://127.0.0.1:${served.debugPort}/ready`);
    assert.equal(ready.status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${served.debugPort}/metrics`)).text();
    assert.match(metrics, /^# TYPE pilot_xds gauge$/m);
    assert.match(metrics, /^istiod_lite_waypoints 3$/m);
  });

  it('serves a waypoint node its configuration, then only the changed route after an edit on disk', async () => {
    client = new DeltaClient(`127.0.0.1:${served.xdsPort}`, {
      id: NODE,
      metadata: {
        NAMESPACE: 'default',
        LABELS: { 'gateway.networking.k8s.io/gateway-name': 'reviews-svc-waypoint' },
        CLUSTER_ID: 'Kubernetes',
        ISTIO_VERSION: '1.30.3',
      },
    });
    client.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const cds = await client.next();
    client.ack(cds);
    const clusters = cds.resources.map((r) => r.name);
    assert.ok(clusters.includes('inbound-vip|9080|http|reviews.default.svc.cluster.local'), clusters.join(','));
    assert.ok(clusters.includes('outbound|9080||reviews-v1.default.svc.cluster.local'));
    const edsNames = clusters.filter((c) => c.startsWith('inbound-vip') || c.startsWith('outbound'));
    client.send({ type_url: TypeUrl.Endpoint, subscribe: edsNames });
    client.ack(await client.next());
    client.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
    const lds = await client.next();
    client.ack(lds);
    assert.deepEqual(lds.resources.map((r) => r.name).sort(), [
      'connect_originate',
      'connect_terminate',
      'main_internal',
    ]);
    client.send({ type_url: TypeUrl.Route, subscribe: [REVIEWS_ROUTE] });
    const rds = await client.next();
    client.ack(rds);
    const weights = (r: typeof rds) =>
      unpack<{
        virtual_hosts: {
          routes: { route: { weighted_clusters: { clusters: { name: string; weight: { value: number } }[] } } }[];
        }[];
      }>(r.resources[0]!.resource!).virtual_hosts[0]!.routes[0]!.route.weighted_clusters.clusters.map(
        (c) => `${c.name}=${c.weight.value}`,
      );
    assert.deepEqual(weights(rds), [
      'outbound|9080||reviews-v1.default.svc.cluster.local=90',
      'outbound|9080||reviews-v2.default.svc.cluster.local=10',
    ]);
    await quietOverDebug(served.debugPort, client);

    const file = join(dir, 'policies.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('weight: 90', 'weight: 50').replace('weight: 10', 'weight: 50'),
    );
    const next = await client.next(5000);
    assert.equal(next.type_url, TypeUrl.Route, 'a route edit is an RDS push');
    assert.deepEqual(
      next.resources.map((r) => r.name),
      [REVIEWS_ROUTE],
    );
    assert.deepEqual(weights(next), [
      'outbound|9080||reviews-v1.default.svc.cluster.local=50',
      'outbound|9080||reviews-v2.default.svc.cluster.local=50',
    ]);
    client.ack(next);
    await quietOverDebug(served.debugPort, client);
  });

  it('shows the proxy SYNCED in proxy-status and its routes in proxy-config', async () => {
    // The client's last ACK reaches the server in its own time: wait until syncz shows it.
    const verbose = await until(
      async () => {
        const r = await runCli(['proxy-status', '--xds-address', `127.0.0.1:${served.xdsPort}`, '-v', '1']);
        return /Kubernetes\s+SYNCED\s+IGNORED\s+SYNCED\s+SYNCED\s+SYNCED\s/.test(r.stdout) && r;
      },
      'the proxy SYNCED in proxy-status',
      10_000,
    );
    const ps = await runCli(['proxy-status', '--xds-address', `127.0.0.1:${served.xdsPort}`]);
    assert.equal(ps.code, 0, ps.stderr);
    const lines = ps.stdout.trim().split('\n');
    // istioctl writer/pilot/status.go PrintAll: subscribed types by default.
    assert.match(lines[0]!, /^NAME\s+CLUSTER\s+ISTIOD\s+VERSION\s+SUBSCRIBED TYPES$/);
    const row = lines.find((l) => l.startsWith('reviews-svc-waypoint-c49f9f569-b492t.default'));
    assert.ok(row, ps.stdout);
    // The replica is named by its host (POD_NAME in a cluster), from istiod's identifier JSON.
    assert.match(row, new RegExp(`Kubernetes\\s+${hostname()}\\s+1\\.30\\.3\\s+4 \\(CDS,LDS,EDS,RDS\\)$`));
    // --verbosity 1 (printAllVerbose): each type's state, types ordered by URL.
    const vlines = verbose.stdout.trim().split('\n');
    assert.match(vlines[0]!, /^NAME\s+CLUSTER\s+CDS\s+ECDS\s+EDS\s+LDS\s+RDS\s+ISTIOD\s+VERSION$/);
    const vrow = vlines.find((l) => l.startsWith('reviews-svc-waypoint-c49f9f569-b492t.default'));
    assert.match(vrow ?? '', /Kubernetes\s+SYNCED\s+IGNORED\s+SYNCED\s+SYNCED\s+SYNCED\s+\S+\s+1\.30\.3$/);
    const json = await runCli(['proxy-status', '--xds-address', `127.0.0.1:${served.xdsPort}`, '-o', 'json']);
    const doc = JSON.parse(json.stdout) as {
      typeUrl: string;
      controlPlane: { identifier: string };
      resources: { '@type': string; node: { id: string } }[];
    };
    assert.equal(doc.typeUrl, 'istio.io/debug/syncz');
    assert.equal((JSON.parse(doc.controlPlane.identifier) as { ID: string }).ID, hostname());
    assert.equal(doc.resources[0]?.['@type'], 'type.googleapis.com/envoy.service.status.v3.ClientConfig');
    const version = await runCli(['version', '--xds-address', `127.0.0.1:${served.xdsPort}`]);
    assert.equal(version.code, 0, version.stderr);
    assert.match(
      version.stdout,
      /^client version: \d+\.\d+\.\d+\ncontrol plane version: \d+\.\d+\.\d+\ndata plane version: 1\.30\.3 \(\d+ prox(y|ies)\)/,
    );
    const pc = await runCli([
      'proxy-config',
      'routes',
      'reviews-svc-waypoint-c49f9f569-b492t.default',
      '--debug-address',
      `127.0.0.1:${served.debugPort}`,
    ]);
    assert.equal(pc.code, 0, pc.stderr);
    assert.match(pc.stdout, /inbound-vip\|9080\|http\|reviews\.default\.svc\.cluster\.local\s+inbound\|http\|9080\s+1/);
    const debug = `127.0.0.1:${served.debugPort}`;
    // istioctl writer/envoy/configdump/cluster.go: columns and ClusterFilter; deploy/<name> with -n.
    const clusters = await runCli([
      'proxy-config',
      'clusters',
      'deploy/reviews-svc-waypoint',
      '-n',
      'default',
      '--port',
      '9080',
      '--debug-address',
      debug,
    ]);
    assert.equal(clusters.code, 0, clusters.stderr);
    const clines = clusters.stdout.trim().split('\n');
    assert.match(clines[0]!, /^SERVICE FQDN\s+PORT\s+SUBSET\s+DIRECTION\s+TYPE\s+DESTINATION RULE$/);
    assert.ok(clines.length > 1, clusters.stdout);
    for (const l of clines.slice(1)) assert.match(l, /^\S+\s+9080\s+\S+\s+\S+\s+\S+\s+\S+$/);
    assert.match(clusters.stdout, /^reviews\.default\.svc\.cluster\.local\s+9080\s+http\s+inbound-vip\s+EDS\s+-$/m);
    // "all -o json" in Envoy's ConfigDump shape.
    const all = await runCli([
      'proxy-config',
      'all',
      'reviews-svc-waypoint-c49f9f569-b492t',
      '-o',
      'json',
      '--debug-address',
      debug,
    ]);
    assert.equal(all.code, 0, all.stderr);
    const dump = JSON.parse(all.stdout) as { configs: Record<string, unknown>[] };
    assert.deepEqual(
      dump.configs.map((c) => c['@type']),
      [
        'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
        'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
        'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
        'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      ],
    );
    const active = dump.configs[0]!.dynamicActiveClusters as { cluster: { name: string; '@type': string } }[];
    assert.equal(active[0]?.cluster['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    const none = await runCli(['proxy-config', 'routes', 'deploy/nosuch', '--debug-address', debug]);
    assert.equal(none.code, 1);
    assert.equal(none.stderr, 'error: no connected proxy of deployment default/nosuch\n');
  });

  it('proxy-status <pod> says per type whether the proxy holds what was sent, across every replica given', async () => {
    const addr = `127.0.0.1:${served.xdsPort}`;
    // istioctl writer/compare: ClusterDiff, ListenerDiff, RouteDiff lines for a proxy that ACKed everything.
    const synced = await runCli([
      'proxy-status',
      'reviews-svc-waypoint-c49f9f569-b492t',
      '-n',
      'default',
      '--xds-address',
      addr,
    ]);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(
      synced.stdout,
      /^Clusters Match\nListeners Match\nRoutes Match \(RDS last loaded at \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} UTC\)\n$/,
    );
    // A second replica with its own ID and a proxy that has not ACKed its clusters nor asked for listeners.
    const other = await startServe(['--config-dir', dir], 20_000, { env: { POD_NAME: 'istiod-lite-replica-b' } });
    const lagging = new DeltaClient(`127.0.0.1:${other.xdsPort}`, {
      id: 'waypoint~10.42.2.11~lagging-waypoint-1.default~default.svc.cluster.local',
      metadata: { NAMESPACE: 'default', CLUSTER_ID: 'Kubernetes', ISTIO_VERSION: '1.30.3' },
    });
    try {
      lagging.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      await lagging.next();
      const both = `${addr},127.0.0.1:${other.xdsPort}`;
      const ps = await runCli(['proxy-status', '--xds-address', both]);
      assert.equal(ps.code, 0, ps.stderr);
      assert.match(ps.stdout, /^reviews-svc-waypoint-c49f9f569-b492t\.default\s+Kubernetes\s+(\S+)\s/m);
      assert.match(
        ps.stdout,
        /^lagging-waypoint-1\.default\s+Kubernetes\s+istiod-lite-replica-b\s+1\.30\.3\s+\d+ \(CDS,/m,
      );
      assert.doesNotMatch(ps.stdout, /^reviews\S+\s+\S+\s+istiod-lite-replica-b/m);
      // Repeating the flag is the same as a comma list.
      const repeated = await runCli([
        'proxy-status',
        '--xds-address',
        addr,
        '--xds-address',
        `127.0.0.1:${other.xdsPort}`,
      ]);
      assert.equal(repeated.stdout, ps.stdout);
      // The pod is found on whichever replica holds it; what is outstanding is said per type.
      const diff = await runCli(['proxy-status', 'lagging-waypoint-1.default', '--xds-address', both]);
      assert.equal(diff.code, 0, diff.stderr);
      const lines = diff.stdout.trim().split('\n');
      assert.equal(lines[0], "Clusters Don't Match");
      assert.match(lines[1]!, /^ {2}sent at \w{3}, \d{2} \w{3} \d{4} [\d:]{8} UTC, not acknowledged yet$/);
      assert.equal(lines[2], "Listeners Don't Match");
      assert.equal(lines[3], '  not sent: the proxy has not asked for them');
      assert.equal(lines[4], "Routes Don't Match");
      // An unknown pod, and a replica that does not answer: exit 1 with one line naming them.
      const missing = await runCli(['proxy-status', 'nosuch.default', '--xds-address', both]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /proxy nosuch\.default is not connected to 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+/);
      const down = await runCli(['proxy-status', '--xds-address', `${addr},127.0.0.1:1`, '--timeout', '3s']);
      assert.equal(down.code, 1);
      assert.match(down.stdout, /^reviews-svc-waypoint-c49f9f569-b492t\.default\s/m);
      assert.match(down.stderr, /127\.0\.0\.1:1/);
    } finally {
      lagging.close();
      await other.stop();
    }
  });

  it("exports the series istiod's dashboards query, counted from what happened", async () => {
    const text = await (await fetch(`http://127.0.0.1:${served.debugPort}/metrics`)).text();
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(`${series} `));
      assert.ok(line, `${series} is exported`);
      return Number(line.slice(series.length + 1));
    };
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    assert.equal(value(`istio_build{component="pilot",tag="${version}"}`), 1);
    // The one waypoint client connected, labelled with the version its node metadata gave.
    assert.equal(value('pilot_xds{version="1.30.3"}'), 1);
    assert.ok(value('pilot_xds_push_time_count{type="rds"}') >= 2, 'the first RDS response and the edit');
    // The bookinfo directory's initial load, then the one HTTPRoute edited on disk.
    assert.ok(value('pilot_k8s_reg_events{type="Services",event="add"}') >= 4);
    assert.equal(value('pilot_k8s_cfg_events{type="HTTPRoute",event="update"}'), 1);
    assert.ok(value('pilot_push_triggers{type="config"}') >= 2);
    assert.ok(value('pilot_push_triggers{type="service"}') >= 1);
    assert.equal(value('pilot_total_xds_internal_errors'), 0);
    assert.ok(value('nodejs_heap_size_used_bytes') > 0, 'runtime metrics');
    assert.ok(value('process_resident_memory_bytes') > 0, 'process metrics');
  });

  it('keeps serving the last good route when the edit is broken, and says which document', async () => {
    const file = join(dir, 'policies.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 50\n', 'weight: fifty\n'));
    const line = await until(
      () =>
        served.logs.find(
          (l) => l.msg === 'skipping bad manifest' && String(l.error).includes('HTTPRoute default/reviews'),
        ),
      'the bad document logged with its kind and name',
      10_000,
    );
    // The edit was read and refused; the proxy was sent nothing for it.
    await quietOverDebug(served.debugPort, client);
    assert.match(String(line.error), /policies\.yaml:\d+/);
  });
});

describe('serve: bad invocations', () => {
  it("exits 64 (istioctl's usage code) with usage on an unknown flag", async () => {
    const r = await runCli(['serve', '--no-such-flag']);
    assert.equal(r.code, 64);
    assert.equal(r.stderr, 'error: unknown flag: --no-such-flag (see "istiod-lite serve --help")\n');
  });

  it('exits non-zero quickly with a clear message when the kubeconfig points nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiod-lite-kc-'));
    const kc = join(dir, 'kubeconfig');
    writeFileSync(
      kc,
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1", insecure-skip-tls-verify: true}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n',
    );
    try {
      const start = Date.now();
      const r = await runCli(['serve', '--kubeconfig', kc, '--xds-port', '0', '--debug-port', '0']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /cannot reach kubernetes http:\/\/127\.0\.0\.1:1/);
      assert.ok(Date.now() - start < 15_000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('inside a pod (KUBERNETES_SERVICE_HOST set) it watches the cluster, and says so when it cannot', async () => {
    const r = await runCli(['serve', '--xds-port', '0', '--debug-port', '0'], 20_000, {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '1',
    });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach kubernetes https:\/\/127\.0\.0\.1:1/);
  });

  it('proxy-status against no server fails within seconds', async () => {
    const r = await runCli(['proxy-status', '--xds-address', '127.0.0.1:1', '--timeout', '3']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot reach the control plane at 127\.0\.0\.1:1|no answer from the control plane/);
  });
});
