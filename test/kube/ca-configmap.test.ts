// istio-ca-root-cert in every namespace, written by the leader only
// (pilot/pkg/serviceregistry/kube/controller/namespacecontroller.go:
// reconcileCACertAndCRL; security/pkg/k8s/configutil.go: InsertDataToConfigMap).
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { RootConfigMapPublisher } from '../../src/ca/root-configmap';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { kubeConfigFor } from './kubeconfig';
import { startKubeServer, type KubeServer } from './server';
import { until } from '../support/until';

describe('RootConfigMapPublisher', () => {
  let srv: KubeServer;
  let publisher: RootConfigMapPublisher;
  let leader = false;
  /** How often the publisher has asked whether it leads: each pass and each leader check does. */
  let leaderChecks = 0;
  let roots = 'ROOT-1\n';
  const data = (ns: string) =>
    srv.get('v1', 'ConfigMap', ns, 'istio-ca-root-cert')?.data as Record<string, string> | undefined;

  before(async () => {
    srv = await startKubeServer();
    const nss = ['a', 'b', 'kube-public'].map(
      (name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }) as KubeObject,
    );
    for (const n of nss) srv.put(n as never);
    // Someone else's key in b's ConfigMap stays.
    srv.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace: 'b' },
      data: { 'other.pem': 'kept', 'root-cert.pem': 'stale' },
    });
    publisher = new RootConfigMapPublisher(kubeConfigFor(srv), {
      roots: () => roots,
      isLeader: () => {
        leaderChecks++;
        return leader;
      },
      log: pino({ level: 'silent' }),
      resyncMs: 300,
    });
    publisher.start();
    publisher.update(
      applyChanges(
        EMPTY_WORLD,
        nss.map((object) => ({ op: 'upsert' as const, object })),
      ).world,
    );
  });
  after(async () => {
    publisher.stop();
    await srv.close();
  });

  it('writes nothing while another replica leads', async () => {
    // Passes at start, on the namespaces' update, then at least two resyncs (every 300 ms), each asking first.
    const seen = leaderChecks;
    await until(() => leaderChecks >= seen + 2, 'two more passes');
    await publisher.idle();
    assert.equal(data('a'), undefined);
    assert.equal(data('b')?.['root-cert.pem'], 'stale');
  });

  it('once leading, creates or updates the key in every namespace but the ignored ones, keeping other keys', async () => {
    leader = true;
    await until(() => (data('a')?.['root-cert.pem'] === roots ? true : undefined), 'namespace a', 5_000);
    await until(() => (data('b')?.['root-cert.pem'] === roots ? true : undefined), 'namespace b', 5_000);
    assert.equal(data('b')?.['other.pem'], 'kept');
    const cm = srv.get('v1', 'ConfigMap', 'a', 'istio-ca-root-cert')!;
    assert.equal((cm.metadata as { labels?: Record<string, string> }).labels?.['istio.io/config'], 'true');
    assert.equal(data('kube-public'), undefined);
  });

  it('follows a roots change, and puts back an edited ConfigMap at the next resync', async () => {
    roots = 'ROOT-1\nROOT-2\n';
    publisher.kick();
    await until(() => (data('a')?.['root-cert.pem'] === roots ? true : undefined), 'new roots', 5_000);
    srv.put({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'istio-ca-root-cert', namespace: 'a' },
      data: { 'root-cert.pem': 'tampered' },
    });
    await until(() => (data('a')?.['root-cert.pem'] === roots ? true : undefined), 'restored roots', 5_000);
  });
});
