// diff compares with the cluster kubectl would use when no --config-dir is
// given, as analyze reads it (istioctl/pkg/analyze/analyze.go: the cluster is
// the base), and writes nothing to it.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../e2e/serve-process';
import { startKubeServer, type KubeServer } from './server';

const CART = (port: number) =>
  `apiVersion: v1\nkind: Service\nmetadata:\n  name: cart\n  namespace: default\nspec:\n  clusterIP: 10.96.0.50\n  ports:\n    - name: http\n      port: ${port}\n`;

describe('diff against the cluster of the current kubeconfig', () => {
  let srv: KubeServer;
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    srv = await startKubeServer();
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-diff-kube-'));
    env = { KUBECONFIG: srv.writeKubeconfig(dir), HOME: dir };
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
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

  it('exits 0 for what the cluster holds, and 1 with the ztunnel Address field for a changed port', async () => {
    const same = join(dir, 'same.yaml');
    writeFileSync(same, CART(80));
    const r0 = await runCli(['diff', '-f', same], 30_000, env);
    assert.equal(r0.code, 0, r0.stdout + r0.stderr);
    const changed = join(dir, 'changed.yaml');
    writeFileSync(changed, CART(8080));
    const r1 = await runCli(['diff', '-f', changed], 30_000, env);
    assert.equal(r1.code, 1, r1.stderr);
    assert.match(
      r1.stdout,
      /^ztunnel: every ztunnel \(workload API\)\n {2}Address\n {4}~ default\/cart\.default\.svc\.cluster\.local$/m,
    );
    assert.match(r1.stdout, /service\.ports\[0\]\.servicePort: 80 → 8080/);
    const stored = srv.get('v1', 'Service', 'default', 'cart') as { spec: { ports: { port: number }[] } } | undefined;
    assert.equal(stored?.spec.ports[0]?.port, 80, 'nothing is written');
  });
});
