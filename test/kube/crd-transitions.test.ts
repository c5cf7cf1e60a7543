// Kubernetes mode: an update that got past admission is checked against the
// previous version the informer held, as the API server runs a CRD's
// transition rules (`oldSelf`) on an update; refused, the last good version stays.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { list, type World } from '../../src/model';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { gatewayClass, immutableClassCrd } from '../support/immutable-crd';
import { startKubeServer, type KubeServer } from './server';
import { kubeConfigFor } from './kubeconfig';
import { until } from '../support/until';

describe('CRD transition rules from the cluster', () => {
  let srv: KubeServer;
  let src: KubeSource;
  let world: World;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));
  const served = () => list(world, 'GatewayClass').map((c) => `${c.spec?.controllerName} ${c.spec?.description}`);
  const refused = () => src.refusals().map((r) => `${r.object.metadata.name}: ${r.problems.join('; ')}`);

  before(async () => {
    srv = await startKubeServer();
    srv.put(immutableClassCrd as never);
    srv.put(gatewayClass('a.example/ctl') as never);
    src = new KubeSource({ config: kubeConfigFor(srv), minBackoffMs: 50, maxBackoffMs: 200 });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
  });

  it('the first version is a create: served', () => {
    assert.deepEqual(served(), ['a.example/ctl d']);
    assert.deepEqual(refused(), []);
  });

  it('an update changing the immutable field is refused; the last good version stays', async () => {
    srv.put(gatewayClass('b.example/ctl') as never);
    await until(() => refused().length === 1, 'the update refused');
    assert.deepEqual(refused(), ['waypoints: spec.controllerName: Invalid value: "object": Value is immutable']);
    store.flush();
    assert.deepEqual(served(), ['a.example/ctl d']);
  });
});
