import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  /** Marks a Gateway Programmed once it exists, as the controller would. */
  const programWhenApplied = (ns: string, name: string): (() => void) => {
    const t = setInterval(() => {
      const gw = srv.get('gateway.networking.k8s.io/v1', 'Gateway', ns, name);
      if (!gw || gw.status) return;
      srv.put({
        ...gw,
        status: { conditions: [{ type: 'Programmed', status: 'True', reason: 'Programmed', message: 'ok' }] },
      });
    }, 200);
    return () => clearInterval(t);
  };

  it('applies a waypoint and enrolls the namespace once it is Programmed, printing what the guide prints', async () => {
    const stop = programWhenApplied('default', 'waypoint');
    try {
      const r = await runCli(['x', 'waypoint', 'apply', '-n', 'default', '--enroll-namespace', '--kubeconfig', kc]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        'waypoint default/waypoint applied\nnamespace default labeled with "istio.io/use-waypoint: waypoint"\n',
      );
      // istioctl waypoint.go waypointApplyCmd: a namespace outside ambient is warned about, not refused.
      assert.match(r.stderr, /warning: namespace default is not in the ambient mesh/);
    } finally {
      stop();
    }
    const gw = srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'default', 'waypoint');
    assert.equal((gw?.spec as { gatewayClassName: string }).gatewayClassName, 'istio-waypoint');
    assert.equal(
      srv.get('v1', 'Namespace', undefined, 'default')?.metadata.labels?.['istio.io/use-waypoint'],
      'waypoint',
    );
  });

  it('enrolling waits for Programmed: on timeout the namespace stays unlabelled', async () => {
    srv.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'slow', labels: { 'istio.io/dataplane-mode': 'ambient' } },
    });
    const r = await runCli([
      'waypoint',
      'apply',
      '-n',
      'slow',
      '--enroll-namespace',
      '--waypoint-timeout',
      '1s',
      '--kubeconfig',
      kc,
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, 'waypoint slow/waypoint applied\n');
    assert.match(r.stderr, /^waiting for waypoint slow\/waypoint to be Programmed…$/m, 'progress while it waits');
    assert.match(r.stderr, /error: timed out waiting for waypoint slow\/waypoint to be Programmed/);
    assert.doesNotMatch(r.stderr, /warning/, 'an ambient namespace draws no warning');
    assert.equal(srv.get('v1', 'Namespace', undefined, 'slow')?.metadata.labels?.['istio.io/use-waypoint'], undefined);
  });

  it("refuses to replace another waypoint's namespace label without --overwrite", async () => {
    srv.put({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'taken', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'other' } },
    });
    const r = await runCli([
      'waypoint',
      'apply',
      '-n',
      'taken',
      '--name',
      'mine',
      '--enroll-namespace',
      '--kubeconfig',
      kc,
    ]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^error: namespace taken already uses waypoint "other"; pass --overwrite/);
    assert.equal(srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'taken', 'mine'), undefined, 'nothing applied');
    const stop = programWhenApplied('taken', 'mine');
    try {
      const ok = await runCli([
        'waypoint',
        'apply',
        '-n',
        'taken',
        '--name',
        'mine',
        '--enroll-namespace',
        '--overwrite',
        '-w',
        '--kubeconfig',
        kc,
      ]);
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(
        ok.stdout,
        'waypoint taken/mine applied\nwaypoint taken/mine is ready\nnamespace taken labeled with "istio.io/use-waypoint: mine"\n',
      );
    } finally {
      stop();
    }
    assert.equal(srv.get('v1', 'Namespace', undefined, 'taken')?.metadata.labels?.['istio.io/use-waypoint'], 'mine');
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

  it('list and status say "No waypoints found." where there are none', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'empty' } });
    for (const sub of ['list', 'status']) {
      const r = await runCli(['waypoint', sub, '-n', 'empty', '--kubeconfig', kc]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'No waypoints found.\n', sub);
    }
  });

  it('list -o yaml prints the Gateways without managedFields', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'fields' } });
    const gw = waypoint('fields', 'wp');
    srv.put({ ...gw, metadata: { ...gw.metadata, managedFields: [{ manager: 'istiod-lite', operation: 'Apply' }] } });
    const r = await runCli(['waypoint', 'list', '-n', 'fields', '-o', 'yaml', '--kubeconfig', kc]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /name: wp/);
    assert.doesNotMatch(r.stdout, /managedFields/);
  });

  it('status waits until the waypoint is Programmed (istioctl printWaypointStatus), or gives up', async () => {
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'waits' } });
    srv.put(waypoint('waits', 'wp'));
    const quick = await runCli(['waypoint', 'status', '-n', 'waits', '--waypoint-timeout', '1s', '--kubeconfig', kc]);
    assert.equal(quick.code, 1);
    assert.match(quick.stderr, /timed out waiting for waypoint waits\/wp to be Programmed/);
    const once = await runCli(['waypoint', 'status', '-n', 'waits', '--wait=false', '--kubeconfig', kc]);
    assert.equal(once.code, 0, once.stderr);
    assert.match(once.stdout, /^waits\s+wp\s+Unknown\s+Programmed\s+Pending/m);
    const stop = programWhenApplied('waits', 'wp');
    try {
      const r = await runCli(['waypoint', 'status', '-n', 'waits', '--kubeconfig', kc]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^waits\s+wp\s+True\s+Programmed\s+Programmed\s+ok$/m);
    } finally {
      stop();
    }
  });

  it("uses KUBECONFIG and the context's namespace when no flag names them", async () => {
    const other = join(dir, 'ctx-kubeconfig');
    writeFileSync(other, readFileSync(kc, 'utf8').replace('namespace: default', 'namespace: ctxns'));
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ctxns' } });
    srv.put(waypoint('ctxns', 'from-context'));
    const r = await runCli(['waypoint', 'list'], 20_000, { KUBECONFIG: other });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^from-context\s+default\s+none\s+False$/m);
    const gen = await runCli(['waypoint', 'generate'], 20_000, { KUBECONFIG: other });
    assert.doesNotMatch(gen.stdout, /namespace:/, 'generate names no namespace unless -n is given');
    const badCtx = await runCli(['waypoint', 'list', '--context', 'nosuch'], 20_000, { KUBECONFIG: other });
    assert.equal(badCtx.code, 1);
    assert.match(badCtx.stderr, /^error: --context nosuch: no such context \(kubeconfig has: test\)\n$/);
  });
});
