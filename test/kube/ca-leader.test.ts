// Two serve replicas against one cluster: only the holder of the leader lease
// creates the self-signed root in istio-ca-secret; the other waits for it and
// then signs with the same root: one writer for the root, where istiod
// lets every replica race the create
// (security/pkg/pki/ca/ca.go: NewSelfSignedIstioCAOptions).
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPENSSL } from '../support/certs';
import { CaClient, makeCsr, opensslVerify, opensslX509, readText } from '../support/ca-client';
import { startServe, type Served } from '../e2e/serve-process';
import { startKubeServer, type KubeServer, type TokenReviewResult } from './server';
import { until } from '../support/until';

function tokenReview(token: string, audiences: string[]): TokenReviewResult {
  if (token !== 'reviews-token' || !audiences.includes('istio-ca')) return { authenticated: false, error: 'invalid' };
  return {
    authenticated: true,
    user: { username: 'system:serviceaccount:default:bookinfo-reviews' },
    audiences: ['istio-ca'],
  };
}

const SECRET = 'istio-ca-secret';
const secretCreates = (srv: KubeServer) =>
  srv.calls.filter((c) => c.method === 'POST' && c.url === '/api/v1/namespaces/istio-system/secrets');

const caArgs = (kc: string) => ['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0'];

describe('the self-signed root is created by the leader only', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let srv: KubeServer;
  let dir: string;
  const replicas: Served[] = [];
  const clients: CaClient[] = [];

  before(async () => {
    srv = await startKubeServer({ tokenReview });
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-ca-leader-'));
    for (const ns of ['istio-system', 'default']) {
      srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
  });
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(replicas.map((r) => r.stop()));
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('two replicas started together: one create of istio-ca-secret, both sign under the same root', async () => {
    const kc = srv.writeKubeconfig(dir);
    replicas.push(...(await Promise.all([startServe(caArgs(kc), 60_000), startServe(caArgs(kc), 60_000)])));
    assert.equal(secretCreates(srv).length, 1, JSON.stringify(secretCreates(srv)));
    const secret = srv.get('v1', 'Secret', 'istio-system', SECRET);
    assert.ok(secret, `${SECRET} exists`);
    const root = Buffer.from((secret.data as Record<string, string>)['ca-cert.pem']!, 'base64').toString();
    const sources = replicas.map((r) => String(r.logs.find((l) => l.msg === 'certificate authority ready')?.source));
    assert.deepEqual(sources.sort(), [`Secret istio-system/${SECRET}`, `Secret istio-system/${SECRET} (created)`]);
    // The creator held the lease when it wrote the Secret.
    const creator = replicas.find((r) => r.logs.some((l) => l.msg === 'created a self-signed root CA'))!;
    assert.ok(creator.logs.some((l) => l.msg === 'became leader'));
    for (const [i, r] of replicas.entries()) {
      const port = Number(r.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
      const c = new CaClient({ port, rootPem: root, token: 'reviews-token' });
      clients.push(c);
      const { csr } = makeCsr(dir, `replica-${i}`);
      const chain = await c.create(readText(csr));
      const v = opensslVerify(dir, chain, root);
      assert.ok(v.ok, v.out);
      assert.equal(chain.at(-1)!.trim(), root.trim());
      assert.match(opensslX509(dir, chain[0]!, ['-ext', 'subjectAltName']), /sa\/bookinfo-reviews/);
    }
  });

  it('a replica that does not hold the lease waits for the Secret instead of creating one', async () => {
    const fresh = await startKubeServer({ tokenReview });
    const kcDir = mkdtempSync(join(tmpdir(), 'istiod-lite-ca-leader-'));
    let waiting: Served | undefined;
    try {
      fresh.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
      // A lease another replica holds and keeps renewed for the whole test.
      const now = new Date().toISOString().replace('Z', '000Z');
      fresh.put({
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: 'istiod-lite-leader', namespace: 'istio-system' },
        spec: { holderIdentity: 'someone-else', leaseDurationSeconds: 3600, renewTime: now, acquireTime: now },
      });
      const starting = startServe(caArgs(fresh.writeKubeconfig(kcDir)), 60_000);
      // Several reads of the missing Secret, each followed by a wait: it must not create.
      const reads = () => fresh.calls.filter((c) => c.url === `/api/v1/namespaces/istio-system/secrets/${SECRET}`);
      await until(() => reads().length >= 4, 'four reads of the Secret', 20_000);
      assert.equal(secretCreates(fresh).length, 0);
      // The leader's root appears; the waiting replica takes it.
      const made = srv.get('v1', 'Secret', 'istio-system', SECRET)!;
      fresh.put({ ...made, metadata: { name: SECRET, namespace: 'istio-system' } });
      const r = (waiting = await starting);
      assert.ok(r.logs.some((l) => l.msg === 'waiting for the leader to create the root CA'));
      assert.equal(
        r.logs.find((l) => l.msg === 'certificate authority ready')?.source,
        `Secret istio-system/${SECRET}`,
      );
      assert.equal(secretCreates(fresh).length, 0);
    } finally {
      await waiting?.stop();
      await fresh.close();
      rmSync(kcDir, { recursive: true, force: true });
    }
  });
});
