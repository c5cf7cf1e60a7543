// `serve` against Kubernetes hands a waypoint the credentials its
// DestinationRule names (sds.go: SecretGen.Generate): Secrets come from the
// watch, key pairs only to a service account that may list Secrets in its
// namespace (secrets.go: Authorize), CA bundles to any waypoint of that
// namespace, a changed Secret is pushed, and no private key shows in logs,
// debug pages or metrics.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { LABEL } from '../../src/model';
import { withBearer } from '../../src/cli/xds-query';
import { OPENSSL } from '../support/certs';
import { adsChannel, DeltaClient, unpack, type DeltaResponse } from '../support/xds-client';
import { startServe, type Served } from '../e2e/serve-process';
import { startKubeServer, type KubeServer, type TokenReviewResult } from './server';
import { until as poll } from '../support/until';
import { quietOverDebug } from '../support/xds-harness';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const KEY_1 = '-----BEGIN PRIVATE KEY-----\nsds-test-key-one\n-----END PRIVATE KEY-----\n';
const KEY_2 = '-----BEGIN PRIVATE KEY-----\nsds-test-key-two\n-----END PRIVATE KEY-----\n';
const CHAIN = '-----BEGIN CERTIFICATE-----\nsds-test-chain\n-----END CERTIFICATE-----\n';
const ROOTS = '-----BEGIN CERTIFICATE-----\nsds-test-roots\n-----END CERTIFICATE-----\n';

const CRED = 'kubernetes://client-tls';
const CRED_CA = 'kubernetes://client-tls-cacert';

function tokenReview(token: string, audiences: string[]): TokenReviewResult {
  const ns = /^(app|shop)-waypoint$/.exec(token)?.[1];
  if (!ns || !audiences.includes('istio-ca')) return { authenticated: false, error: 'invalid bearer token' };
  return { authenticated: true, user: { username: `system:serviceaccount:${ns}:waypoint` }, audiences: ['istio-ca'] };
}

function secret(ns: string, key: string) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'client-tls', namespace: ns },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': b64(CHAIN), 'tls.key': b64(key), 'ca.crt': b64(ROOTS) },
  };
}

function mesh(srv: KubeServer, ns: string, ip: string): void {
  srv.put({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: ns, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  });
  srv.put({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: ns },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
  });
  srv.put({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'backend', namespace: ns },
    spec: { clusterIP: ip, ports: [{ name: 'https', port: 443, targetPort: 8443, appProtocol: 'http' }] },
  });
  srv.put({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name: 'backend', namespace: ns },
    spec: { host: 'backend', trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'client-tls' } } },
  });
  srv.put(secret(ns, KEY_1));
}

describe('SDS for DestinationRule credentials (Kubernetes)', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let srv: KubeServer;
  let dir: string;
  let served: Served;
  let tlsAddress: string;
  let root: string;
  const closers: (() => void)[] = [];

  function waypoint(ns: string): DeltaClient {
    const creds = withBearer(grpc.credentials.createSsl(Buffer.from(root)), `${ns}-waypoint`);
    const ch = adsChannel(tlsAddress, creds, {
      'grpc.ssl_target_name_override': 'istiod-lite.istio-system.svc',
      'grpc.use_local_subchannel_pool': 1,
    });
    const c = new DeltaClient(
      tlsAddress,
      {
        id: `waypoint~10.0.0.1~waypoint-5d8f-abcde.${ns}~${ns}.svc.cluster.local`,
        metadata: { NAMESPACE: ns, LABELS: { [LABEL.gatewayName]: 'waypoint' } },
      },
      undefined,
      ch,
    );
    closers.push(() => {
      c.close();
      ch.close();
    });
    return c;
  }

  /** Reads and ACKs responses until `done` holds for the client. */
  async function until(c: DeltaClient, done: () => boolean, what: string, seen: DeltaResponse[] = []): Promise<void> {
    const end = Date.now() + 15_000;
    while (!done()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      const r = await c.next(15_000);
      seen.push(r);
      c.ack(r);
    }
  }

  const held = (c: DeltaClient) => c.held.get(TypeUrl.Secret) ?? new Map<string, string>();

  before(async () => {
    srv = await startKubeServer({ tokenReview });
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-sds-test-'));
    srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    mesh(srv, 'app', '10.96.0.50');
    mesh(srv, 'shop', '10.96.0.51');
    // Only app's waypoint may list Secrets in its namespace, as a gateway's Role would let it.
    srv.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'waypoint-sds', namespace: 'app' },
      rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'watch', 'list'] }],
    });
    srv.put({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'waypoint-sds', namespace: 'app' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'waypoint-sds' },
      subjects: [{ kind: 'ServiceAccount', name: 'waypoint', namespace: 'app' }],
    });
    const kc = srv.writeKubeconfig(dir);
    served = await startServe(['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0'], 30_000);
    tlsAddress = `127.0.0.1:${Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort)}`;
    const cm = await poll(() => srv.get('v1', 'ConfigMap', 'app', 'istio-ca-root-cert'), 'the root ConfigMap');
    root = (cm.data as Record<string, string>)['root-cert.pem']!;
  });
  after(async () => {
    for (const close of closers) close();
    await served?.stop();
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the key pair and the roots to a waypoint allowed to list its Secrets, and pushes a changed Secret', async () => {
    const c = waypoint('app');
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    await until(
      c,
      () => [...(c.held.get(TypeUrl.Cluster)?.keys() ?? [])].some((n) => n.includes('backend.app')),
      'the backend cluster',
    );
    c.send({ type_url: TypeUrl.Secret, subscribe: [CRED, CRED_CA] });
    const seen: DeltaResponse[] = [];
    await until(c, () => held(c).has(CRED) && held(c).has(CRED_CA), 'both secrets', seen);
    const latest = (name: string) =>
      unpack<{
        tls_certificate?: { private_key?: { inline_bytes?: Buffer }; certificate_chain?: { inline_bytes?: Buffer } };
        validation_context?: { trusted_ca?: { inline_bytes?: Buffer } };
      }>(
        seen
          .flatMap((r) => r.resources)
          .filter((r) => r.name === name)
          .at(-1)!.resource!,
      );
    assert.equal(String(latest(CRED).tls_certificate?.private_key?.inline_bytes), KEY_1);
    assert.equal(String(latest(CRED).tls_certificate?.certificate_chain?.inline_bytes), CHAIN);
    assert.equal(String(latest(CRED_CA).validation_context?.trusted_ca?.inline_bytes), ROOTS);

    const before = held(c).get(CRED);
    const caBefore = held(c).get(CRED_CA);
    srv.put(secret('app', KEY_2));
    await until(c, () => held(c).get(CRED) !== before, 'the changed key pair', seen);
    assert.equal(String(latest(CRED).tls_certificate?.private_key?.inline_bytes), KEY_2);
    assert.equal(held(c).get(CRED_CA), caBefore, 'the unchanged roots keep their version');
  });

  it('sends only the roots to a waypoint whose service account may not list Secrets', async () => {
    const c = waypoint('shop');
    c.send({ type_url: TypeUrl.Secret, subscribe: [CRED, CRED_CA] });
    await until(c, () => held(c).has(CRED_CA), 'the roots');
    // The roots need no review; the key pair waits for the SubjectAccessReview's answer, logged when denied.
    await poll(
      () =>
        served.logs.some(
          (l) => l.msg === 'service account may not list secrets in its namespace; its waypoint gets no key pairs',
        ),
      'the denial logged',
    );
    await quietOverDebug(served.debugPort, c);
    assert.equal(held(c).has(CRED), false);
  });

  it('shows no private key in logs, debug pages or metrics, and redacts it in the config dump', async () => {
    const get = async (path: string) => (await fetch(`http://127.0.0.1:${served.debugPort}${path}`)).text();
    const dump = await get('/debug/config_dump?proxyID=waypoint-5d8f-abcde.app');
    assert.match(dump, /\[redacted\]/);
    assert.match(dump, new RegExp(b64(CHAIN).slice(0, 20)), 'the certificate itself is shown');
    const secrets = [KEY_1, KEY_2].flatMap((k) => [k, b64(k)]);
    const pages = [dump];
    for (const path of ['/metrics', '/debug/syncz', '/debug/adsz', '/debug/ambientz', '/debug/rejectz'])
      pages.push(await get(path));
    pages.push(JSON.stringify(served.logs));
    for (const text of pages) {
      assert.doesNotMatch(text, /PRIVATE KEY/);
      for (const s of secrets) assert.ok(!text.includes(s.trim()));
    }
  });

  it('takes back a key pair whose Secret no longer holds one', async () => {
    const c = waypoint('app');
    c.send({ type_url: TypeUrl.Secret, subscribe: [CRED] });
    await until(c, () => held(c).has(CRED), 'the key pair');
    srv.put({ ...secret('app', KEY_2), data: { unrelated: b64('x') } });
    await until(c, () => !held(c).has(CRED), 'its removal');
  });
});
