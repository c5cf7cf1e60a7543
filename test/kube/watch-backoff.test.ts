// After an API-server outage the informer resumes its watch without a
// relist. The retry backoff the outage built up must end there: the next
// failure (here a restart followed by 410 Gone) is retried promptly, not
// after the outage's last, longest wait. client-go's reflector, which
// istiod's informers run on, likewise lets its backoff fall back once
// watches run again (k8s.io/client-go tools/cache/reflector.go: ListAndWatch).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { KINDS, list, type World } from '../../src/model';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { startKubeServer, type KubeServer } from './server';
import { kubeConfigFor } from './kubeconfig';
import { until } from '../support/until';

describe('Kubernetes watch backoff', () => {
  let srv: KubeServer;
  let src: KubeSource;
  let world: World | undefined;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));
  const label = () =>
    world ? list(world, 'Service').find((s) => s.metadata.name === 'echo')?.metadata.labels?.v : undefined;
  const relabel = (v: string) => {
    const cur = srv.get('v1', 'Service', 'app', 'echo')!;
    srv.put({ ...cur, metadata: { ...cur.metadata, labels: { v } } });
  };

  before(async () => {
    srv = await startKubeServer({ withoutCrds: true });
    srv.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'echo', namespace: 'app', labels: { v: '0' } },
      spec: { ports: [{ port: 80 }] },
    });
    src = new KubeSource({
      config: kubeConfigFor(srv),
      kinds: KINDS.filter((k) => k.kind === 'Service'),
      minBackoffMs: 100,
      maxBackoffMs: 30_000,
    });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
  });

  it('retries promptly after a resumed watch, though the outage before it had backed off to seconds', async () => {
    // A 4 s outage: retries at 0.1, 0.3, 0.7, 1.5, 3.1 s fail, the one at
    // 6.3 s resumes the watch; the next wait would have been 6.4 s.
    srv.restart(4000);
    relabel('1');
    await until(
      () => {
        store.flush();
        return label() === '1';
      },
      'the change made during the outage',
      20_000,
    );
    assert.deepEqual(src.errors(), [], 'a running watch clears the error');
    // A second, short restart that also forgets watch history (410 Gone).
    srv.restart(100);
    relabel('2');
    srv.compact();
    const start = Date.now();
    await until(
      () => {
        store.flush();
        return label() === '2';
      },
      'the relist after 410',
      20_000,
      25,
    );
    const took = Date.now() - start;
    assert.ok(took < 3000, `recovered in ${took} ms; the outage's backoff would have waited 6.4 s`);
  });
});
