// The leader's ServiceEntry address writer against the test API server, as
// istiod's IP allocator (ipallocate.go) behaves: addresses written to
// status.addresses, read back by the informers, used in the workload API for
// ztunnel, kept across a restart, extended for a new host, cleared when the
// entry stops qualifying.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { buildAmbientIndex } from '../../src/ambient';
import { ServiceEntryAddressWriter } from '../../src/controller/address-writer';
import { decodeMessage, TypeUrl } from '../../src/envoy';
import { get, type World } from '../../src/model';
import { DEFAULT_OPTIONS } from '../../src/translate';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';
import { KubeSource } from '../../src/watch/kube';
import { ConfigStore } from '../../src/watch/store';
import { kubeConfigFor } from './kubeconfig';
import { startKubeServer, type KubeServer } from './server';
import { until } from '../support/until';

const entry = (name: string, hosts: string[], extra: Record<string, unknown> = {}) => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace: 'egress', creationTimestamp: `2024-01-0${name === 'first' ? 1 : 2}T00:00:00Z` },
  spec: { hosts, ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', ...extra },
});

describe('ServiceEntry address allocation in a cluster (ipallocate.go)', () => {
  let srv: KubeServer;
  let src: KubeSource;
  let world: World;
  const store = new ConfigStore();
  store.subscribe((w) => (world = w));
  const log = pino({ level: 'silent' });
  const statusOf = (name: string) =>
    (get(world, 'ServiceEntry', 'egress', name)?.status?.addresses ?? []).map((a) => `${a.host}=${a.value}`);
  const settle = async (writer: ServiceEntryAddressWriter, want: () => boolean, what: string) => {
    await writer.reconcile(world);
    await until(() => {
      store.flush();
      return want();
    }, what);
  };

  before(async () => {
    srv = await startKubeServer();
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'egress' } });
    // A wildcard host with DNS resolution needs endpoints to be valid (ValidateServiceEntry); the allocator skips it.
    srv.put(
      entry('first', ['a.example.com', 'b.example.com', '*.wild.example.com'], {
        endpoints: [{ address: 'origin.example.net' }],
      }),
    );
    srv.put(entry('second', ['c.example.com']));
    srv.put(entry('own', ['d.example.com'], { addresses: ['240.240.0.1'] }));
    src = new KubeSource({ config: kubeConfigFor(srv), minBackoffMs: 50, maxBackoffMs: 200 });
    store.attach(src);
    await src.start();
    store.flush();
  });
  after(async () => {
    await src.stop();
    await srv.close();
  });

  it('writes one v4 and one v6 address per host, oldest entry first, skipping user addresses', async () => {
    const writer = new ServiceEntryAddressWriter(kubeConfigFor(srv), log, 'istiod-lite');
    await settle(writer, () => statusOf('second').length === 2, 'status of second');
    assert.deepEqual(statusOf('first'), [
      'a.example.com=240.240.0.2',
      'a.example.com=2001:2::1',
      'b.example.com=240.240.0.3',
      'b.example.com=2001:2::2',
    ]);
    assert.deepEqual(statusOf('second'), ['c.example.com=240.240.0.4', 'c.example.com=2001:2::3']);
    assert.deepEqual(statusOf('own'), []);
    assert.equal(writer.writes, 2);
    // Writes go to the status subresource only.
    assert.ok(
      srv.requests.some((r) =>
        r.startsWith('PATCH /apis/networking.istio.io/v1/namespaces/egress/serviceentries/first/status'),
      ),
    );
    // Nothing more to do on the same world: the write is not repeated.
    await writer.reconcile(world);
    assert.equal(writer.writes, 2);
  });

  it('tells ztunnel the allocated addresses', () => {
    const api = buildWorkloadApi(world, buildAmbientIndex(world, { assumeReady: true }), DEFAULT_OPTIONS);
    const svc = (api.get(TypeUrl.Address) ?? [])
      .map((r) => decodeMessage('istio.workload.Address', r.body).service)
      .find((s) => s?.hostname === 'c.example.com');
    assert.deepEqual(
      svc?.addresses.map((a) => [...a.address].join('.')),
      ['240.240.0.4', [0x20, 0x01, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3].join('.')],
    );
  });

  it('after a restart writes nothing, gives a new host new addresses, and clears an entry that opts out', async () => {
    const restarted = new ServiceEntryAddressWriter(kubeConfigFor(srv), log, 'istiod-lite');
    await restarted.reconcile(world);
    assert.equal(restarted.writes, 0, 'addresses in status are kept');
    const cur = srv.get('networking.istio.io/v1', 'ServiceEntry', 'egress', 'second')!;
    srv.put({ ...cur, spec: { ...(cur.spec as object), hosts: ['c.example.com', 'e.example.com'] } });
    await until(() => {
      store.flush();
      return (get(world, 'ServiceEntry', 'egress', 'second')?.spec?.hosts ?? []).length === 2;
    }, 'the new host');
    await settle(restarted, () => statusOf('second').length === 4, 'addresses for the new host');
    assert.deepEqual(statusOf('second'), [
      'c.example.com=240.240.0.4',
      'c.example.com=2001:2::3',
      'e.example.com=240.240.0.5',
      'e.example.com=2001:2::4',
    ]);
    const first = srv.get('networking.istio.io/v1', 'ServiceEntry', 'egress', 'first')!;
    srv.put({
      ...first,
      metadata: { ...first.metadata, labels: { 'networking.istio.io/enable-autoallocate-ip': 'false' } },
    });
    await until(() => {
      store.flush();
      return get(world, 'ServiceEntry', 'egress', 'first')?.metadata.labels !== undefined;
    }, 'the label');
    await settle(restarted, () => statusOf('first').length === 0, 'cleared addresses');
  });
});
