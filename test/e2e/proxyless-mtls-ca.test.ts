// mTLS between proxyless gRPC peers whose certificates come from our own CA,
// as an Istio agent would get them: each workload sends a CSR with its
// service-account token to CreateCertificate on the TLS port, writes the
// returned chain and the root to files, and grpc-js-xds reads them through
// its file-watcher certificate provider. The STRICT / ISTIO_MUTUAL / ALLOW
// configuration is the one proxyless-mtls.test.ts exercises with an openssl CA.
import '../support/enable-grpc-rbac';
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { CaClient, makeCsr, readText } from '../support/ca-client';
import { echoMethods, hello } from '../support/echo-backend';
import { freePort } from '../support/free-port';
import { opensslAvailable } from '../support/mesh-certs';
import { proxylessBootstrap } from '../support/proxyless-fixture';
import { startKubeServer, type KubeServer, type TokenReviewResult } from '../kube/server';
import { startServe, type Served } from './serve-process';
import { until } from '../support/until';

grpcXds.register();

const BOOTSTRAP = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const INBOUND_TEMPLATE = { server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s' };
const ACCOUNTS = ['allowed', 'other', 'guarded'];

function tokenReview(token: string, audiences: string[]): TokenReviewResult {
  const sa = /^(\w+)-token$/.exec(token)?.[1];
  if (!sa || !ACCOUNTS.includes(sa) || !audiences.includes('istio-ca')) {
    return { authenticated: false, error: 'invalid bearer token' };
  }
  return { authenticated: true, user: { username: `system:serviceaccount:app:${sa}` }, audiences: ['istio-ca'] };
}

/** The files an agent writes from a CreateCertificate answer. */
interface Issued {
  certFile: string;
  keyFile: string;
  rootFile: string;
}

function fileWatcher(id: Issued): Record<string, unknown> {
  return {
    certificate_providers: {
      default: {
        plugin_name: 'file_watcher',
        config: {
          certificate_file: id.certFile,
          private_key_file: id.keyFile,
          ca_certificate_file: id.rootFile,
          refresh_interval: '600s',
        },
      },
    },
  };
}

describe(
  'mTLS between proxyless gRPC peers, certificates from our CA',
  { skip: !opensslAvailable() && 'openssl is not installed' },
  () => {
    let srv: KubeServer;
    let dir: string;
    let served: Served;
    let tlsPort: number;
    let root: string;
    const ids: Record<string, Issued> = {};
    const servers: grpcXds.XdsServer[] = [];
    const clients: grpc.Client[] = [];

    async function issue(sa: string): Promise<Issued> {
      const { key, csr } = makeCsr(dir, sa);
      const ca = new CaClient({ port: tlsPort, rootPem: root, token: `${sa}-token` });
      try {
        const chain = await ca.create(readText(csr));
        const certFile = join(dir, `${sa}.pem`);
        const rootFile = join(dir, `${sa}-root.pem`);
        writeFileSync(certFile, chain.slice(0, -1).join(''));
        writeFileSync(rootFile, chain[chain.length - 1]!);
        return { certFile, keyFile: key, rootFile };
      } finally {
        ca.close();
      }
    }

    function client(target: string, node: string, id: Issued, xdsCredentials = true): grpc.Client {
      const creds = xdsCredentials
        ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())
        : grpc.credentials.createInsecure();
      const c = new grpc.Client(`xds:///${target}.app.svc.cluster.local:7000`, creds, {
        [BOOTSTRAP]: proxylessBootstrap(served.xdsPort, node, fileWatcher(id)),
      } as grpc.ClientOptions);
      clients.push(c);
      return c;
    }

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'istiod-lite-grpc-ca-'));
      srv = await startKubeServer({ tokenReview });
      const guardedPort = await freePort();
      srv.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app' } });
      srv.put({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'guarded', namespace: 'app' },
        spec: {
          clusterIP: '10.96.9.10',
          selector: { app: 'guarded' },
          ports: [{ name: 'grpc', port: 7000, targetPort: guardedPort, appProtocol: 'grpc' }],
        },
      });
      srv.put({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'guarded-v1-abc12', namespace: 'app', labels: { app: 'guarded' } },
        spec: { serviceAccountName: 'guarded', containers: [{ name: 'c', image: 'x' }] },
        status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
      });
      srv.put({
        apiVersion: 'security.istio.io/v1',
        kind: 'PeerAuthentication',
        metadata: { name: 'default', namespace: 'app' },
        spec: { mtls: { mode: 'STRICT' } },
      });
      srv.put({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'mtls', namespace: 'app' },
        spec: { host: '*.app.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
      });
      srv.put({
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: 'allowed-only', namespace: 'app' },
        spec: {
          targetRefs: [{ kind: 'Service', group: '', name: 'guarded' }],
          action: 'ALLOW',
          rules: [{ from: [{ source: { principals: ['cluster.local/ns/app/sa/allowed'] } }] }],
        },
      });
      const kc = srv.writeKubeconfig(dir);
      served = await startServe(
        ['--kubeconfig', kc, '--ca', 'on', '--xds-tls-port', '0', '--debounce-after', '20ms'],
        30_000,
      );
      tlsPort = Number(served.logs.find((l) => l.msg === 'serving')?.xdsTlsPort);
      const cm = await until(
        () => srv.get('v1', 'ConfigMap', 'app', 'istio-ca-root-cert'),
        'istio-ca-root-cert in app',
      );
      root = (cm.data as Record<string, string>)['root-cert.pem']!;
      for (const sa of ACCOUNTS) ids[sa] = await issue(sa);

      const server = new grpcXds.XdsServer({
        [BOOTSTRAP]: proxylessBootstrap(served.xdsPort, 'guarded-v1-abc12', {
          ...INBOUND_TEMPLATE,
          ...fileWatcher(ids.guarded!),
        }),
      } as never);
      servers.push(server);
      server.addService(echoMethods, {
        Hello: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb(null, Buffer.from('guarded')),
        Slow: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
          cb(null, Buffer.from('guarded')),
      });
      const creds = new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
      await new Promise<void>((resolve, reject) =>
        server.bindAsync(`127.0.0.1:${guardedPort}`, creds, (e) => (e ? reject(e) : resolve())),
      );
    });
    after(async () => {
      for (const c of clients) c.close();
      for (const s of servers) s.forceShutdown();
      await served?.stop();
      await srv?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('issues each workload a certificate that chains to the published root', () => {
      for (const sa of ACCOUNTS) assert.equal(readFileSync(ids[sa]!.rootFile, 'utf8'), root);
    });

    it('lets the principal an ALLOW policy names through', async () => {
      const deadline = Date.now() + 15_000;
      for (let n = 1; ; n++) {
        try {
          assert.equal(
            await hello(client('guarded', `allowed-${n}`, ids.allowed!), new grpc.Metadata(), 3000),
            'guarded',
          );
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
        }
      }
    });

    it('answers a peer with another mesh identity with PERMISSION_DENIED', async () => {
      await assert.rejects(
        hello(client('guarded', 'other-1', ids.other!)),
        (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
      );
    });

    it('refuses a plaintext client at the STRICT server', async () => {
      await assert.rejects(
        hello(client('guarded', 'plain-1', ids.allowed!, false), new grpc.Metadata(), 3000),
        (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
      );
    });
  },
);
