import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { list, type World } from '../../src/model';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { parseManifestFile } from '../../src/watch/parse';
import { startKubeServer, type KubeServer } from './server';
import { kubeConfigFor } from './kubeconfig';

// Gateway API 1.5 serves TLSRoute at v1, v1alpha3 and v1alpha2 and TCPRoute at
// v1alpha2; older clusters serve TLSRoute at v1alpha2 only. istiod reads them
// whatever version is served (pkg/config/schema/metadata.yaml versionAliases).

const l4 = (apiVersion: string, kind: string, name: string) => ({
  apiVersion,
  kind,
  metadata: { name, namespace: 'app' },
  spec: {
    parentRefs: [{ group: '', kind: 'Service', name: 'echo' }],
    rules: [{ backendRefs: [{ name: 'echo', port: 80 }] }],
  },
});

describe('route kinds read at every served version', () => {
  let srv: KubeServer;
  let src: KubeSource;
  let world: World | undefined;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));

  before(async () => {
    srv = await startKubeServer({ servedVersions: { TLSRoute: ['v1alpha2'], TCPRoute: ['v1'] } });
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
    srv.put(l4('gateway.networking.k8s.io/v1alpha2', 'TLSRoute', 'old-tls'));
    srv.put(l4('gateway.networking.k8s.io/v1', 'TCPRoute', 'new-tcp'));
    src = new KubeSource({ config: kubeConfigFor(srv), minBackoffMs: 50, maxBackoffMs: 200 });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
  });

  it('reads TLSRoute from a cluster that serves only v1alpha2, and TCPRoute from one that serves only v1', () => {
    assert.ok(world);
    assert.deepEqual(
      list(world, 'TLSRoute').map((r) => r.metadata.name),
      ['old-tls'],
    );
    assert.deepEqual(
      list(world, 'TCPRoute').map((r) => r.metadata.name),
      ['new-tcp'],
    );
    assert.ok(!src.missingKinds().includes('TLSRoute'));
    assert.ok(!src.missingKinds().includes('TCPRoute'));
  });
});

describe('route kinds in manifests at every served version', () => {
  it('accepts TCPRoute at v1alpha2 and v1, TLSRoute at v1, v1alpha3 and v1alpha2', () => {
    const docs = [
      ['v1alpha2', 'TCPRoute'],
      ['v1', 'TCPRoute'],
      ['v1', 'TLSRoute'],
      ['v1alpha3', 'TLSRoute'],
      ['v1alpha2', 'TLSRoute'],
    ].map(([v, k], i) => JSON.stringify(l4(`gateway.networking.k8s.io/${v}`, k!, `r${i}`)));
    const parsed = parseManifestFile('routes.yaml', docs.join('\n---\n'));
    assert.deepEqual(parsed.errors, []);
    assert.equal(parsed.docs.length, 5);
  });
});
