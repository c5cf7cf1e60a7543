import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../e2e/serve-process';
import { startKubeServer, type KubeServer } from './server';

describe('waypoint apply/list/status/delete against a cluster', () => {
  let srv: KubeServer;
  let dir: string;
  let kc: string;
  before(async () => {
    srv = await startKubeServer();
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-wpcli-'));
    kc = srv.writeKubeconfig(dir);
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
  });
  after(async () => {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies a waypoint and enrolls the namespace, printing what the guide prints', async () => {
    const r = await runCli(['x', 'waypoint', 'apply', '-n', 'default', '--enroll-namespace', '--kubeconfig', kc]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      'waypoint default/waypoint applied\nnamespace default labeled with "istio.io/use-waypoint: waypoint"\n',
    );
    const gw = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint');
    assert.equal((gw?.spec as { gatewayClassName: string }).gatewayClassName, 'istio-waypoint');
    assert.equal(
      srv.get('v1', 'Namespace', undefined, 'default')?.metadata.labels?.['istio.io/use-waypoint'],
      'waypoint',
    );
  });

  it('refuses to change an existing waypoint without --overwrite', async () => {
    const r = await runCli(['waypoint', 'apply', '-n', 'default', '--for', 'all', '--kubeconfig', kc]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /already exists with different settings; use --overwrite/);
    const ok = await runCli(['waypoint', 'apply', '-n', 'default', '--for', 'all', '--overwrite', '--kubeconfig', kc]);
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('lists waypoints and their status', async () => {
    const gw = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint')!;
    srv.put({
      ...gw,
      status: {
        conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed', message: 'Resource programmed' }],
      },
    });
    const list = await runCli(['waypoint', 'list', '-n', 'default', '--kubeconfig', kc]);
    assert.equal(
      list.stdout,
      'NAME       REVISION   TRAFFIC TYPE   PROGRAMMED\nwaypoint   default    all            True\n',
    );
    const status = await runCli(['waypoint', 'status', '-n', 'default', '--kubeconfig', kc]);
    assert.match(
      status.stdout,
      /^NAMESPACE\s+NAME\s+STATUS\s+TYPE\s+REASON\s+MESSAGE\ndefault\s+waypoint\s+True\s+Programmed\s+Programmed\s+Resource programmed\n$/,
    );
  });

  it('deletes by name, and says so when the waypoint is not there', async () => {
    const r = await runCli(['waypoint', 'delete', 'waypoint', '-n', 'default', '--kubeconfig', kc]);
    assert.equal(r.stdout, 'waypoint default/waypoint deleted\n');
    const again = await runCli(['waypoint', 'delete', 'waypoint', '-n', 'default', '--kubeconfig', kc]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /waypoint default\/waypoint not found/);
  });
});
