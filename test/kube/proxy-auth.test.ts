// serve against the Kubernetes test server with the TLS port: proxies prove
// who they are with service-account tokens that serve checks through the
// TokenReview API, and get only the configuration that identity may have.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { DebugTypeUrl, TypeUrl } from '../../src/envoy';
import { withBearer } from '../../src/cli/xds-query';
import { makeCa, OPENSSL, type TestCa } from '../support/certs';
import { adsChannel, DeltaClient, SotwClient, unpack } from '../support/xds-client';
import { waitFor } from '../support/xds-harness';
import { PROJECT_ROOT, runCli, startServe, type Served } from '../e2e/serve-process';
import { KUBECTL, runKubectl } from './kubectl';
import { startKubeServer, type KubeServer, type TokenReviewResult } from './server';

/** Tokens as the API server would mint them for service accounts, with the audiences they were minted for. */
const TOKENS: Record<string, { user: string; audiences: string[] }> = {
  'waypoint-token': { user: 'system:serviceaccount:default:waypoint', audiences: ['istio-ca'] },
  'reviews-token': { user: 'system:serviceaccount:default:bookinfo-reviews', audiences: ['istio-ca'] },
  'waypoint-kube-token': {
    user: 'system:serviceaccount:default:waypoint',
    audiences: ['https://kubernetes.default.svc'],
  },
  'istiod-token': { user: 'system:serviceaccount:istio-system:istiod-lite', audiences: ['istio-ca'] },
  'shop-token': { user: 'system:serviceaccount:shop:client', audiences: ['istio-ca'] },
};

function tokenReview(token: string, audiences: string[]): TokenReviewResult {
  const t = TOKENS[token];
  if (!t) return { authenticated: false, error: 'invalid bearer token, token lookup failed' };
  const ok = audiences.length === 0 ? t.audiences : t.audiences.filter((a) => audiences.includes(a));
  if (ok.length === 0) return { authenticated: false, error: 'token audiences is invalid for the target audiences' };
  return { authenticated: true, user: { username: t.user }, audiences: ok };
}

const WAYPOINT = 'waypoint~10.42.2.9~waypoint-6f7b665c89-6hppr.default~default.svc.cluster.local';

describe(
  'serve against Kubernetes: proxies authenticate with service-account tokens',
  { skip: (!KUBECTL && 'kubectl not installed') || (!OPENSSL && 'openssl not installed') },
  () => {
    let srv: KubeServer;
    let dir: string;
    let ca: TestCa;
    let served: Served;
    let tlsPort: number;
    const open: Array<{ close(): void }> = [];

    before(async () => {
      srv = await startKubeServer({ tokenReview });
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-auth-'));
      const kc = srv.writeKubeconfig(dir);
      const r = await runKubectl(kc, ['apply', '-f', join(PROJECT_ROOT, 'examples', 'bookinfo')]);
      assert.equal(r.code, 0, r.stderr);
      ca = makeCa();
      const cert = ca.issue('istiod-lite', ['DNS:localhost', 'DNS:istiod-lite.istio-system.svc']);
      served = await startServe(
        [
          '--kubeconfig',
          kc,
          '--xds-tls-port',
          '0',
          '--tls-cert-file',
          cert.cert,
          '--tls-key-file',
          cert.key,
          '--debounce-after',
          '20ms',
        ],
        20_000,
        { defaultPlaintext: true },
      );
      tlsPort = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
    });
    after(async () => {
      for (const c of open) c.close();
      await served.stop();
      await srv.close();
      ca.remove();
      rmSync(dir, { recursive: true, force: true });
    });

    function channel(token?: string): grpc.Client {
      const tls = grpc.credentials.createSsl(ca.read(ca.caFile));
      const creds = token ? withBearer(tls, token) : tls;
      const ch = adsChannel(`localhost:${tlsPort}`, creds, { 'grpc.use_local_subchannel_pool': 1 });
      open.push(ch);
      return ch;
    }
    function waypoint(token?: string): DeltaClient {
      const c = new DeltaClient(
        `localhost:${tlsPort}`,
        { id: WAYPOINT, metadata: { NAMESPACE: 'default' } },
        {},
        channel(token),
      );
      open.push(c);
      c.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
      return c;
    }

    it('serves no plaintext port against a cluster unless one is asked for', () => {
      const line = served.logs.find((l) => l.msg === 'serving')!;
      assert.equal(line.xdsPort, undefined);
      assert.ok(tlsPort > 0);
    });

    it("gives a waypoint its listeners once the TokenReview names the waypoint's service account", async () => {
      const c = waypoint('waypoint-token');
      // The waypoint becomes ready once the controller has written its address.
      const r = await c.next(15_000);
      assert.ok(r.resources.length >= 3, `got ${r.resources.map((x) => x.name).join(', ')}`);
      const review = srv.calls.find(
        (x) => x.method === 'POST' && x.url.startsWith('/apis/authentication.k8s.io/v1/tokenreviews'),
      );
      assert.ok(review, 'serve asked the TokenReview API');
    });

    it('refuses a token the API server does not know, or one minted for another audience', async () => {
      for (const [token, msg] of [
        ['made-up', /token rejected: invalid bearer token/],
        ['waypoint-kube-token', /token rejected: token audiences is invalid/],
      ] as const) {
        const c = waypoint(token);
        await c.inbox.closed(5000);
        assert.equal(c.error?.code, grpc.status.UNAUTHENTICATED, token);
        assert.match(c.error?.details ?? '', msg);
      }
      const none = waypoint();
      await none.inbox.closed(5000);
      assert.equal(none.error?.code, grpc.status.UNAUTHENTICATED);
    });

    it('refuses an application service account that claims to be the waypoint, and logs it', async () => {
      const c = waypoint('reviews-token');
      await c.inbox.closed(5000);
      assert.equal(c.error?.code, grpc.status.PERMISSION_DENIED);
      assert.match(
        c.error?.details ?? '',
        /spiffe:\/\/cluster.local\/ns\/default\/sa\/bookinfo-reviews may not act as waypoint default\/waypoint/,
      );
      // The log line crosses a pipe from the child process; it may trail the stream's end.
      await waitFor(() => served.logs.some((l) => String(l.msg).startsWith('permission denied')), 5000, 'the log line');
      const logged = served.logs.find((l) => String(l.msg).startsWith('permission denied'))!;
      assert.equal(logged.identity, 'spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
    });

    it('shows proxy status to the control plane namespace, and to others only for their namespace', async () => {
      const sync = async (token: string) => {
        const d = new SotwClient(
          `localhost:${tlsPort}`,
          { id: 'debug~127.0.0.1~istioctl-1.istio-system~istio-system.svc.cluster.local' },
          {},
          channel(token),
        );
        open.push(d);
        d.send({ type_url: DebugTypeUrl.Syncz });
        const r = await d.next(5000);
        return r.resources.map((a) => unpack<{ node: { id: string } }>(a).node.id);
      };
      const all = await sync('istiod-token');
      assert.ok(all.includes('waypoint-6f7b665c89-6hppr.default'), all.join());
      assert.deepEqual(
        await sync('reviews-token'),
        all.filter((id) => id.endsWith('.default')),
      );
      // Nothing of default's is shown to a caller from another namespace.
      assert.deepEqual(await sync('shop-token'), []);
    });

    it('proxy-status reads the TLS port with a token file, scoped like syncz', async () => {
      const ps = async (token: string) => {
        writeFileSync(join(dir, 'token'), `${token}\n`);
        const r = await runCli([
          'proxy-status',
          '--xds-address',
          `localhost:${tlsPort}`,
          '--xds-ca-file',
          ca.caFile,
          '--xds-token-file',
          join(dir, 'token'),
        ]);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout;
      };
      assert.match(await ps('istiod-token'), /waypoint-6f7b665c89-6hppr\.default/);
      assert.doesNotMatch(await ps('shop-token'), /\.default/);
      const bad = await runCli(['proxy-status', '--xds-address', `localhost:${tlsPort}`, '--xds-ca-file', ca.caFile]);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /requires authentication/);
    });

    it('proxy-status through a port-forward to 127.0.0.1 verifies the name given with --authority', async () => {
      writeFileSync(join(dir, 'token'), 'istiod-token\n');
      const tls = [
        '--xds-address',
        `127.0.0.1:${tlsPort}`,
        '--xds-ca-file',
        ca.caFile,
        '--xds-token-file',
        join(dir, 'token'),
      ];
      // The serving certificate names localhost and the Service, not 127.0.0.1.
      const plain = await runCli(['proxy-status', ...tls, '--timeout', '3s']);
      assert.equal(plain.code, 1);
      assert.match(plain.stderr, /127\.0\.0\.1/);
      // istioctl clioptions/central.go: --authority is the SAN checked and the :authority sent.
      for (const flag of ['--authority', '--xds-authority']) {
        const r = await runCli(['proxy-status', ...tls, flag, 'istiod-lite.istio-system.svc']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /waypoint-6f7b665c89-6hppr\.default/);
      }
      const wrong = await runCli(['proxy-status', ...tls, '--authority', 'other.example.com', '--timeout', '3s']);
      assert.equal(wrong.code, 1);
    });
  },
);
