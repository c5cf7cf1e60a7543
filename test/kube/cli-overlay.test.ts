// Reading commands take the current kubeconfig's cluster and lay -f manifests
// over it, as istioctl analyze does (istioctl/pkg/analyze/analyze.go: the
// cluster is the base and the files are added on top).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../e2e/serve-process';
import { startKubeServer, type KubeServer } from './server';

describe('analyze and ztunnel-config: the cluster, with -f laid over it', () => {
  let srv: KubeServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    srv = await startKubeServer();
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-overlay-'));
    // Found through $KUBECONFIG alone: no flag names the cluster.
    env = { KUBECONFIG: srv.writeKubeconfig(dir), HOME: dir };
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    srv.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'shop', labels: { 'istio.io/use-waypoint': 'waypoint' } },
    });
    srv.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'cart', namespace: 'default' },
      spec: { clusterIP: '10.96.0.50', ports: [{ name: 'http', port: 80 }] },
    });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('analyze reads the cluster by default, and -f changes what it sees', async () => {
    const live = await runCli(['analyze', '-A'], 30_000, env);
    assert.equal(live.code, 0, live.stdout + live.stderr);
    assert.match(
      live.stdout,
      /^Warning \[ISL0001\] \(Namespace shop\) has istio\.io\/use-waypoint=waypoint but is not in the ambient mesh/m,
    );
    // What if the namespace were enrolled: the file's version replaces the cluster's.
    const fix = join(dir, 'fix.yaml');
    writeFileSync(
      fix,
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels:\n    istio.io/use-waypoint: waypoint\n    istio.io/dataplane-mode: ambient\n',
    );
    const overlaid = await runCli(['analyze', '-A', '-f', fix], 30_000, env);
    assert.equal(overlaid.code, 0, overlaid.stderr);
    assert.doesNotMatch(overlaid.stdout, /ISL0001/);
    assert.equal(
      srv.get('v1', 'Namespace', undefined, 'shop')?.metadata.labels?.['istio.io/dataplane-mode'],
      undefined,
      'nothing is written to the cluster',
    );
  });

  it('a parse error in a given file fails the run with 65, the cluster still read', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'kind: Service\napiVersion: v1\nmetadata: {name: x, namespace: shop\n');
    const r = await runCli(['analyze', '-A', bad], 30_000, env);
    assert.equal(r.code, 65);
    assert.match(r.stderr, new RegExp(`^error: ${bad}:\\d+: invalid YAML`, 'm'));
    assert.match(r.stdout, /ISL0001/, 'the cluster is still analyzed');
  });

  it("analyze reports on the context's namespace by default", async () => {
    const r = await runCli(['analyze'], 30_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '✔ No validation issues found when analyzing namespace: default.\n');
  });

  it('ztunnel-config shows the cluster and the overlaid services', async () => {
    const extra = join(dir, 'extra');
    writeFileSync(
      extra,
      'apiVersion: v1\nkind: Service\nmetadata: {name: pay, namespace: shop}\nspec: {clusterIP: 10.96.0.51, ports: [{name: http, port: 80}]}\n',
    );
    const r = await runCli(['ztunnel-config', 'service'], 30_000, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^default\s+cart\s+10\.96\.0\.50\s+None\s+0\/0$/m);
    const piped = await runCli(['ztunnel-config', 'service', '-f', extra], 30_000, env);
    assert.match(piped.stdout, /^default\s+cart\s+10\.96\.0\.50/m);
    assert.match(piped.stdout, /^shop\s+pay\s+10\.96\.0\.51/m);
    // JSON carries values, not the table's cells.
    const json = await runCli(['ztunnel-config', 'service', '-n', 'shop', '-f', extra, '-o', 'json'], 30_000, env);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(JSON.parse(json.stdout), [
      { namespace: 'shop', name: 'pay', vips: ['10.96.0.51'], waypoint: null, endpoints: { ready: 0, total: 0 } },
    ]);
  });
});
