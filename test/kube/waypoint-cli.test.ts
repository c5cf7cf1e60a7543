import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../e2e/serve-process';
import { startKubeServer, type KubeServer } from './server';
import type { Obj } from './store';

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
    // istioctl waypoint.go deleteWaypoints: a missing name is reported on stdout and does not fail the command.
    const again = await runCli(['waypoint', 'delete', 'waypoint', '-n', 'default', '--kubeconfig', kc]);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, 'waypoint default/waypoint not found\n');
  });

  const waypoint = (ns: string, name: string, rev?: string): Obj => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name, namespace: ns, labels: rev ? { 'istio.io/rev': rev } : ({} as Record<string, string>) },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [] },
  });
  const gateways = (ns: string) =>
    ['stable', 'canary', 'plain', 'wp2', 'ingress'].filter((n) =>
      srv.get('gateway.networking.k8s.io/v1', 'Gateway', ns, n),
    );

  it('delete -r deletes only that revision, with or without --all (istioctl deleteWaypoints)', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'revs' } });
    srv.put(waypoint('revs', 'stable', 'stable'));
    srv.put(waypoint('revs', 'canary', 'canary'));
    srv.put(waypoint('revs', 'plain'));
    const r = await runCli(['waypoint', 'delete', '--all', '-r', 'canary', '-n', 'revs', '--kubeconfig', kc]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'waypoint revs/canary deleted\n');
    assert.deepEqual(gateways('revs'), ['stable', 'plain']);
    const none = await runCli(['waypoint', 'delete', '-r', 'canary', '-n', 'revs', '--kubeconfig', kc]);
    assert.equal(none.code, 0, none.stderr);
    assert.deepEqual(gateways('revs'), ['stable', 'plain']);
    const rev = await runCli(['waypoint', 'delete', '--revision', 'stable', '-n', 'revs', '--kubeconfig', kc]);
    assert.equal(rev.stdout, 'waypoint revs/stable deleted\n');
    assert.deepEqual(gateways('revs'), ['plain']);
  });

  it('refuses names with --all or -r, and --all-namespaces, deleting nothing', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'refuse' } });
    srv.put(waypoint('refuse', 'stable', 'stable'));
    srv.put(waypoint('default', 'plain'));
    for (const args of [['stable', '--all'], ['stable', '-r', 'stable'], ['--all', '-A'], ['-A', '-r', 'stable'], []]) {
      const r = await runCli(['waypoint', 'delete', ...args, '-n', 'refuse', '--kubeconfig', kc]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.equal(r.stdout, '', args.join(' '));
    }
    const bare = await runCli(['waypoint', 'delete', '--all', '-A', '--kubeconfig', kc]);
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /one namespace/);
    assert.deepEqual(gateways('refuse'), ['stable']);
    assert.deepEqual(gateways('default'), ['plain']);
  });

  it('delete nosuch wp2 reports the missing one and still deletes wp2; never a Gateway of another class', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'names' } });
    srv.put(waypoint('names', 'wp2'));
    srv.put({ ...waypoint('names', 'ingress'), spec: { gatewayClassName: 'istio', listeners: [] } });
    const r = await runCli(['waypoint', 'delete', 'nosuch', 'wp2', 'ingress', '-n', 'names', '--kubeconfig', kc]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      // As istioctl: missing names are reported first, then the deletions.
      'waypoint names/nosuch not found\nwaypoint names/ingress not found\nwaypoint names/wp2 deleted\n',
    );
    assert.deepEqual(gateways('names'), ['ingress']);
    const all = await runCli(['waypoint', 'delete', '--all', '-n', 'names', '--kubeconfig', kc]);
    assert.equal(all.code, 0, all.stderr);
    assert.deepEqual(gateways('names'), ['ingress'], '--all deletes waypoints only');
  });
});
