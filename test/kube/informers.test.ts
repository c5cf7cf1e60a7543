import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { list, type World } from '../../src/model';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { buildAmbientIndex } from '../../src/ambient';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer } from './server';
import { kubeConfigFor } from './kubeconfig';
import { until } from '../support/until';

// kubectl create sends protobuf for built-in kinds; apply sends JSON, which the test server speaks.
const svc = (name: string, port: number) =>
  `apiVersion: v1\nkind: Service\nmetadata: {name: ${name}, namespace: app}\nspec:\n  ports: [{port: ${port}}]\n`;

describe('Kubernetes informer source against the test server', { skip: !KUBECTL && 'kubectl not installed' }, () => {
  let srv: KubeServer;
  let dir: string;
  let kc: string;
  let src: KubeSource;
  let world: World;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));
  const svcLabels = (name: string) => {
    const s = list(world, 'Service').find((x) => x.metadata.name === name);
    return s ? (s.metadata.labels ?? {}) : undefined;
  };
  const k = async (args: string[], stdin?: string) => {
    const r = await runKubectl(kc, args, stdin);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  };

  before(async () => {
    srv = await startKubeServer({ withoutCrds: true });
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-informer-'));
    kc = srv.writeKubeconfig(dir);
    await k(['apply', '-f', '-'], 'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n---\n' + svc('echo', 80));
    src = new KubeSource({ config: kubeConfigFor(srv), minBackoffMs: 50, maxBackoffMs: 200 });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is synced once every initial list arrived, with absent CRD kinds as warnings', () => {
    assert.ok(src.synced);
    assert.ok(svcLabels('echo'), 'the initial list was delivered');
    assert.ok(src.missingKinds().includes('HTTPRoute'));
  });

  it('follows create, update, relabel and delete made with kubectl', async () => {
    await k(['label', 'namespace', 'app', 'istio.io/dataplane-mode=ambient', 'istio.io/use-waypoint=waypoint']);
    await k(['label', 'service', 'echo', '-n', 'app', 'version=1']);
    await until(() => svcLabels('echo')?.version === '1', 'relabel');
    await k(['label', 'service', 'echo', '-n', 'app', 'version=2', '--overwrite']);
    await until(() => svcLabels('echo')?.version === '2', 'second relabel');
    await k(['apply', '-f', '-'], svc('other', 81));
    await until(() => svcLabels('other') !== undefined, 'create');
    await k(['delete', 'service', 'other', '-n', 'app']);
    await until(() => svcLabels('other') === undefined, 'delete');
  });

  it('picks up a kind once its CRD appears, and binds through it', async () => {
    await k(
      ['apply', '-f', '-'],
      'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: gateways.gateway.networking.k8s.io\nspec:\n  group: gateway.networking.k8s.io\n  names: {kind: Gateway, plural: gateways}\n  scope: Namespaced\n  versions: [{name: v1, served: true, storage: true}]\n',
    );
    await until(() => !src.missingKinds().includes('Gateway'), 'Gateway watched', 10_000);
    await k(
      ['apply', '-f', '-'],
      'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: waypoint, namespace: app}\nspec:\n  gatewayClassName: istio-waypoint\n  listeners: [{name: mesh, port: 15008, protocol: HBONE}]\n',
    );
    await until(() => list(world, 'Gateway').length === 1, 'Gateway delivered');
    srv.put({
      ...srv.get('gateway.networking.k8s.io/v1', 'Gateway', 'app', 'waypoint')!,
      status: { addresses: [{ type: 'IPAddress', value: '10.0.0.9' }] },
    });
    await until(
      () => buildAmbientIndex(world, { assumeReady: false }).bindings.get('Service/app/echo')?.kind === 'bound',
      'echo bound to the waypoint',
    );
  });

  it('loses no event across an API server restart mid-watch', async () => {
    srv.restart(300);
    // Changes made while the watch is down arrive after it reconnects.
    srv.put({
      ...srv.get('v1', 'Service', 'app', 'echo')!,
      metadata: { ...srv.get('v1', 'Service', 'app', 'echo')!.metadata, labels: { version: '3' } },
    });
    await until(() => svcLabels('echo')?.version === '3', 'change made during the outage');
  });

  it('relists after 410 Gone, including deletions it missed', async () => {
    await k(['apply', '-f', '-'], svc('doomed', 82));
    await until(() => svcLabels('doomed') !== undefined, 'doomed exists');
    srv.restart(300);
    srv.store.delete('/Service', 'app', 'doomed');
    srv.put({
      ...srv.get('v1', 'Service', 'app', 'echo')!,
      metadata: { ...srv.get('v1', 'Service', 'app', 'echo')!.metadata, labels: { version: '4' } },
    });
    srv.compact();
    await until(() => svcLabels('echo')?.version === '4' && svcLabels('doomed') === undefined, 'relist after 410');
  });
});
