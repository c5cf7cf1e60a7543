// serve as the mesh's certificate authority against the Kubernetes test
// server: workloads send openssl-made CSRs over real gRPC/TLS with
// service-account tokens (or a certificate we issued), and the chain that
// comes back is checked with `openssl verify` against the root serve
// publishes in the istio-ca-root-cert ConfigMap. Follows
// security/pkg/server/ca/server.go: CreateCertificate and node_auth.go:
// authenticateImpersonation.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { OPENSSL } from '../support/certs';
import { CaClient, makeCsr, opensslVerify, opensslX509, readText } from '../support/ca-client';
import { startServe, type Served } from '../e2e/serve-process';
import { startKubeServer, type KubeServer, type TokenReviewResult } from './server';
import { until } from '../support/until';

const POD_NAME = 'authentication.kubernetes.io/pod-name';
const POD_UID = 'authentication.kubernetes.io/pod-uid';

const TOKENS: Record<string, { user: string; audiences: string[]; pod?: [string, string] }> = {
  'reviews-token': { user: 'system:serviceaccount:default:bookinfo-reviews', audiences: ['istio-ca'] },
  'reviews-kube-token': { user: 'system:serviceaccount:default:bookinfo-reviews', audiences: ['kubernetes'] },
  'ztunnel-token': {
    user: 'system:serviceaccount:istio-system:ztunnel',
    audiences: ['istio-ca'],
    pod: ['ztunnel-a', 'uid-ztunnel-a'],
  },
  'ztunnel-stale-token': {
    user: 'system:serviceaccount:istio-system:ztunnel',
    audiences: ['istio-ca'],
    pod: ['ztunnel-a', 'uid-of-a-deleted-pod'],
  },
};

function tokenReview(token: string, audiences: string[]): TokenReviewResult {
  const t = TOKENS[token];
  if (!t) return { authenticated: false, error: 'invalid bearer token' };
  const ok = t.audiences.filter((a) => audiences.includes(a));
  if (ok.length === 0) return { authenticated: false, error: 'token audiences is invalid for the target audiences' };
  const extra = t.pod ? { [POD_NAME]: [t.pod[0]], [POD_UID]: [t.pod[1]] } : undefined;
  return { authenticated: true, user: { username: t.user, extra }, audiences: ok };
}

function pod(ns: string, name: string, sa: string, node: string, uid?: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, ...(uid ? { uid } : {}), labels: { app: name } },
    spec: { serviceAccountName: sa, nodeName: node, containers: [{ name: 'c', image: 'x' }] },
    status: { phase: 'Running', podIP: '10.0.0.1' },
  };
}

const TD = 'spiffe://cluster.local';

describe('serve as the certificate authority (Kubernetes)', { skip: !OPENSSL && 'openssl not installed' }, () => {
  let srv: KubeServer;
  let dir: string;
  let served: Served;
  let port: number;
  let root: string;
  const clients: CaClient[] = [];

  function client(token?: string, clientCert?: { cert: Buffer; key: Buffer }): CaClient {
    const c = new CaClient({ port, rootPem: root, token, clientCert });
    clients.push(c);
    return c;
  }

  before(async () => {
    srv = await startKubeServer({ tokenReview });
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-ca-test-'));
    for (const ns of ['istio-system', 'default', 'shop', 'kube-public']) {
      srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    }
    srv.put(pod('istio-system', 'ztunnel-a', 'ztunnel', 'node-a', 'uid-ztunnel-a'));
    srv.put(pod('default', 'reviews-v1', 'bookinfo-reviews', 'node-a'));
    srv.put(pod('default', 'ratings-v1', 'bookinfo-ratings', 'node-b'));
    srv.put({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingWebhookConfiguration',
      metadata: { name: 'istiod-lite-validator' },
      webhooks: [
        {
          name: 'validation.istiod-lite.io',
          admissionReviewVersions: ['v1'],
          sideEffects: 'None',
          failurePolicy: 'Ignore',
          clientConfig: { url: 'https://127.0.0.1:1/validate' },
          rules: [],
        },
      ],
    });
    const kc = srv.writeKubeconfig(dir);
    served = await startServe(['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0', '--webhook-port', '0'], 30_000);
    port = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
    const cm = await until(() => srv.get('v1', 'ConfigMap', 'default', 'istio-ca-root-cert'), 'root ConfigMap', 15_000);
    root = (cm.data as Record<string, string>)['root-cert.pem']!;
  });
  after(async () => {
    for (const c of clients) c.close();
    await served?.stop();
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps its self-signed root in istio-ca-secret and publishes it to every namespace but the ignored ones', async () => {
    const secret = srv.get('v1', 'Secret', 'istio-system', 'istio-ca-secret');
    assert.ok(secret, 'istio-ca-secret was created');
    const data = secret.data as Record<string, string>;
    const caCert = Buffer.from(data['ca-cert.pem']!, 'base64').toString();
    assert.equal(root.trim(), caCert.trim());
    assert.match(opensslX509(dir, root, ['-subject']), /O\s*=\s*cluster\.local/);
    for (const ns of ['istio-system', 'shop']) {
      const cm = await until(
        () => srv.get('v1', 'ConfigMap', ns, 'istio-ca-root-cert'),
        `root ConfigMap in ${ns}`,
        10_000,
      );
      assert.equal((cm.data as Record<string, string>)['root-cert.pem'], root, ns);
    }
    assert.equal(srv.get('v1', 'ConfigMap', 'kube-public', 'istio-ca-root-cert'), undefined);
  });

  it("signs a CSR for the token's service account only, whatever SANs the CSR asks for", async () => {
    const { csr } = makeCsr(dir, 'reviews', [
      'URI:spiffe://cluster.local/ns/istio-system/sa/istiod',
      'DNS:evil.example',
    ]);
    const chain = await client('reviews-token').create(readText(csr));
    assert.equal(chain.length, 2, 'leaf and root');
    assert.equal(chain[1], root);
    const v = opensslVerify(dir, chain, root);
    assert.ok(v.ok, v.out);
    const san = opensslX509(dir, chain[0]!, ['-ext', 'subjectAltName']);
    assert.match(san, new RegExp(`URI:${TD}/ns/default/sa/bookinfo-reviews`));
    assert.doesNotMatch(san, /istiod|evil/);
    // The 24 h default, starting a little in the past for clock skew.
    const dates = opensslX509(dir, chain[0]!, ['-startdate', '-enddate']);
    const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    assert.ok(Math.abs(end - start - (24 * 3600_000 + 120_000)) < 5_000, dates);
  });

  it('honours a requested lifetime and refuses one over the maximum', async () => {
    const { csr } = makeCsr(dir, 'ttl');
    const chain = await client('reviews-token').create(readText(csr), { ttlSec: 3600 });
    const dates = opensslX509(dir, chain[0]!, ['-enddate']);
    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    assert.ok(Math.abs(end - Date.now() - 3600_000) < 60_000, dates);
    await assert.rejects(
      client('reviews-token').create(readText(csr), { ttlSec: 91 * 24 * 3600 }),
      (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
        assert.match(e.details, /greater than the max allowed TTL/);
        return true;
      },
    );
  });

  it('refuses an unknown token, a token for another audience, and no credentials', async () => {
    const { csr } = makeCsr(dir, 'refused');
    for (const token of ['made-up', 'reviews-kube-token', undefined]) {
      await assert.rejects(client(token).create(readText(csr)), (e: grpc.ServiceError) => {
        assert.equal(e.code, grpc.status.UNAUTHENTICATED, String(token));
        return true;
      });
    }
    assert.ok(served.logs.some((l) => l.msg === 'certificate request refused: authentication'));
  });

  it('refuses a CSR whose signature does not hold', async () => {
    const { csr } = makeCsr(dir, 'broken');
    const text = readText(csr);
    // Flip a character in the middle of the base64 body.
    const i = Math.floor(text.length / 2);
    const broken = text.slice(0, i) + (text[i] === 'A' ? 'B' : 'A') + text.slice(i + 1);
    await assert.rejects(client('reviews-token').create(broken), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
      return true;
    });
  });

  it('accepts a client certificate it issued as proof of identity', async () => {
    const first = makeCsr(dir, 'mtls');
    const chain = await client('reviews-token').create(readText(first.csr));
    const mtls = client(undefined, { cert: Buffer.from(chain.slice(0, -1).join('')), key: readFileSync(first.key) });
    const second = makeCsr(dir, 'mtls2');
    const again = await mtls.create(readText(second.csr));
    assert.match(opensslX509(dir, again[0]!, ['-ext', 'subjectAltName']), /sa\/bookinfo-reviews/);
  });

  it("lets ztunnel ask for a pod's identity on its own node", async () => {
    const { csr } = makeCsr(dir, 'imp-ok');
    const chain = await client('ztunnel-token').create(readText(csr), {
      metadata: { ImpersonatedIdentity: `${TD}/ns/default/sa/bookinfo-reviews` },
    });
    const v = opensslVerify(dir, chain, root);
    assert.ok(v.ok, v.out);
    const san = opensslX509(dir, chain[0]!, ['-ext', 'subjectAltName']);
    assert.match(san, /URI:spiffe:\/\/cluster\.local\/ns\/default\/sa\/bookinfo-reviews/);
    assert.doesNotMatch(san, /ztunnel/);
  });

  it('refuses impersonation off the node, by a stale pod, or by anyone but ztunnel, and logs why', async () => {
    const { csr } = makeCsr(dir, 'imp-bad');
    const cases: Array<[string, string, RegExp]> = [
      [
        'ztunnel-token',
        `${TD}/ns/default/sa/bookinfo-ratings`,
        /no instances of default\/bookinfo-ratings found on node node-a/,
      ],
      ['ztunnel-stale-token', `${TD}/ns/default/sa/bookinfo-reviews`, /UID does not match/],
      ['reviews-token', `${TD}/ns/istio-system/sa/ztunnel`, /not allowed to impersonate/],
      ['ztunnel-token', 'spiffe://other.domain/ns/default/sa/bookinfo-reviews', /outside trust domain/],
    ];
    for (const [token, identity, reason] of cases) {
      await assert.rejects(
        client(token).create(readText(csr), { metadata: { ImpersonatedIdentity: identity } }),
        (e: grpc.ServiceError) => {
          // Authenticated but not allowed: PERMISSION_DENIED with the reason, not istiod's UNAUTHENTICATED.
          assert.equal(e.code, grpc.status.PERMISSION_DENIED, identity);
          assert.match(e.details, /^request impersonation denied: /);
          assert.match(e.details, reason);
          return true;
        },
      );
      const line = await until(
        () =>
          served.logs.find(
            (l) => l.msg === 'certificate request refused: impersonation' && reason.test(String(l.reason)),
          ),
        'the refusal log line',
        5_000,
      );
      assert.equal(line.impersonated, identity);
    }
  });

  it('serves the webhook on a certificate it issued itself, and puts its roots in the webhook CA bundle', async () => {
    const webhookPort = Number(served.logs.find((l) => l.msg === 'serving')?.webhookPort);
    const peer = await new Promise<{ authorized: boolean; error?: Error; san?: string }>((resolve) => {
      const s = tlsConnect(
        { host: '127.0.0.1', port: webhookPort, ca: root, servername: 'istiod-lite.istio-system.svc' },
        () => {
          resolve({ authorized: s.authorized, san: s.getPeerCertificate().subjectaltname });
          s.end();
        },
      );
      s.on('error', (error) => resolve({ authorized: false, error }));
    });
    assert.ok(peer.authorized, String(peer.error));
    assert.equal(peer.san, 'DNS:istiod-lite.istio-system.svc');
    await until(
      () => {
        const vwc = srv.get(
          'admissionregistration.k8s.io/v1',
          'ValidatingWebhookConfiguration',
          undefined,
          'istiod-lite-validator',
        );
        const hooks = (vwc?.webhooks ?? []) as { clientConfig?: { caBundle?: string } }[];
        return hooks[0]?.clientConfig?.caBundle === Buffer.from(root).toString('base64');
      },
      'the webhook CA bundle',
      15_000,
    );
  });

  it('never logs a private key', () => {
    const text = JSON.stringify(served.logs);
    assert.doesNotMatch(text, /PRIVATE KEY/);
  });

  it("counts requests under istiod's metric names, and shows no key on the debug port", async () => {
    const get = async (path: string) => (await fetch(`http://127.0.0.1:${served.debugPort}${path}`)).text();
    const metrics = await get('/metrics');
    const value = (name: string) => Number(new RegExp(`^${name} (\\d+)`, 'm').exec(metrics)?.[1]);
    assert.ok(value('citadel_server_csr_count') >= 10, metrics);
    assert.ok(value('citadel_server_success_cert_issuance_count') >= 4);
    assert.ok(value('citadel_server_authentication_failure_count') >= 7);
    assert.match(metrics, /citadel_server_csr_sign_err_count\{error="TTL_ERROR"\} 1/);
    assert.match(metrics, /citadel_server_csr_sign_err_count\{error="CSR_ERROR"\} 1/);
    const rootExpiry = value('citadel_server_root_cert_expiry_timestamp');
    assert.ok(rootExpiry * 1000 > Date.now() + 9 * 365 * 24 * 3600_000, 'a ten-year root');
    for (const path of ['/metrics', '/debug/syncz', '/debug/ambientz', '/debug/rejectz', '/debug/adsz']) {
      assert.doesNotMatch(await get(path), /PRIVATE KEY|BEGIN CERTIFICATE/, path);
    }
  });

  it('a second replica reuses the root in istio-ca-secret instead of making its own', async () => {
    const kc = join(dir, 'kubeconfig');
    const other = await startServe(['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0'], 30_000);
    try {
      const p = Number(other.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
      const ready = other.logs.find((l) => l.msg === 'certificate authority ready');
      assert.equal(ready?.source, 'Secret istio-system/istio-ca-secret');
      const c = new CaClient({ port: p, rootPem: root, token: 'reviews-token' });
      clients.push(c);
      const { csr } = makeCsr(dir, 'replica');
      const chain = await c.create(readText(csr));
      assert.ok(opensslVerify(dir, chain, root).ok);
    } finally {
      await other.stop();
    }
  });
});
