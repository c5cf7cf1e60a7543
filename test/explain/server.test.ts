// explain against a running server: the configuration is what the server
// serves a connected proxy of the waypoint (its /debug/config_dump), the
// names resolved in the manifests given with -f.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient } from '../support/xds-client';
import { PROJECT_ROOT, runCli, startServe, type Served } from '../e2e/serve-process';

const BOOKINFO = join(PROJECT_ROOT, 'examples', 'bookinfo');
const NODE = 'router~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local';
// No cluster: the -f manifests alone name things.
const NO_CLUSTER = { KUBECONFIG: join(PROJECT_ROOT, 'no-such-kubeconfig') };

describe('explain --debug-address', () => {
  let served: Served;
  let client: SotwClient;
  before(async () => {
    served = await startServe(['--config-dir', BOOKINFO]);
    client = new SotwClient(`127.0.0.1:${served.xdsPort}`, {
      id: NODE,
      metadata: { NAMESPACE: 'default', LABELS: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
    });
    client.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    client.ack(await client.next(5000));
  });
  after(async () => {
    client?.close();
    await served?.stop();
  });

  it('evaluates what the server serves the waypoint’s proxy', async () => {
    const args = ['explain', '-f', BOOKINFO, '--debug-address', `127.0.0.1:${served.debugPort}`];
    const denied = await runCli(
      [...args, '--from', 'productpage', '--to', 'details:9080', '--method', 'POST', '-o', 'json'],
      20_000,
      NO_CLUSTER,
    );
    assert.equal(denied.code, 0, denied.stderr);
    const doc = JSON.parse(denied.stdout) as { configuration: string; verdict: { outcome: string; status: number } };
    assert.equal(doc.configuration, `served to waypoint-6f7b665c89-6hppr.default by 127.0.0.1:${served.debugPort}`);
    assert.deepEqual([doc.verdict.outcome, doc.verdict.status], ['denied', 403]);
    const allowed = await runCli([...args, '--from', 'productpage', '--to', 'details:9080'], 20_000, NO_CLUSTER);
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.match(
      allowed.stdout,
      /Answer: forwarded to inbound-vip\|9080\|http\|details\.default\.svc\.cluster\.local → 10\.42\.2\.4:9080/,
    );
  });

  it('says when no proxy of the waypoint is connected', async () => {
    const r = await runCli(
      ['explain', '-f', BOOKINFO, '--debug-address', `127.0.0.1:${served.debugPort}`, '--to', 'reviews:9080'],
      20_000,
      NO_CLUSTER,
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no connected proxy of deployment default\/reviews-svc-waypoint/);
  });
});
