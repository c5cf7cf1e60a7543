// mTLS between proxyless gRPC peers, configured only by what we serve: a
// STRICT PeerAuthentication makes the grpc-js-xds server require client
// certificates, an ISTIO_MUTUAL DestinationRule makes clients present theirs
// and check the server's identity, and an ALLOW AuthorizationPolicy then lets
// only the named principal through. Certificates carry SPIFFE URI SANs.
import '../support/enable-grpc-rbac';
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { echoMethods, hello } from '../support/echo-backend';
import { freePort } from '../support/free-port';
import { certificateProviders, makeMeshCa, opensslAvailable, type Identity, type MeshCa } from '../support/mesh-certs';
import { proxylessBootstrap } from '../support/proxyless-fixture';
import { startServe, type Served } from './serve-process';

grpcXds.register();

const BOOTSTRAP = 'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config';
const INBOUND_TEMPLATE = { server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s' };

// `guarded` requires mTLS and allows one principal. `impostor`'s server holds
// the certificate of `other`; its pod says it runs as `impostorSa`.
function manifests(guardedPort: number, impostorPort: number, impostorSa: string): string {
  const service = (name: string, ip: string, port: number, sa = name) => `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: app}
spec:
  clusterIP: ${ip}
  selector: {app: ${name}}
  ports: [{name: grpc, port: 7000, targetPort: ${port}, appProtocol: grpc}]
---
apiVersion: v1
kind: Pod
metadata: {name: ${name}-v1-abc12, namespace: app, labels: {app: ${name}}}
spec: {serviceAccountName: ${sa}}
status: {phase: Running, podIP: 127.0.0.1, conditions: [{type: Ready, status: "True"}]}
`;
  return [
    'apiVersion: v1\nkind: Namespace\nmetadata: {name: app}\n',
    service('guarded', '10.96.9.10', guardedPort),
    service('impostor', '10.96.9.11', impostorPort, impostorSa),
    `apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: app}
spec:
  mtls: {mode: STRICT}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: mtls, namespace: app}
spec:
  host: "*.app.svc.cluster.local"
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: allowed-only, namespace: app}
spec:
  targetRefs: [{kind: Service, group: "", name: guarded}]
  action: ALLOW
  rules:
  - from: [{source: {principals: [cluster.local/ns/app/sa/allowed]}}]
`,
  ].join('---\n');
}

describe('mTLS between proxyless gRPC peers', { skip: !opensslAvailable() && 'openssl is not installed' }, () => {
  let dir: string;
  let ca: MeshCa;
  let served: Served;
  const servers: grpcXds.XdsServer[] = [];
  const clients: grpc.Client[] = [];

  async function startServer(name: string, port: number, id: Identity): Promise<void> {
    const server = new grpcXds.XdsServer({
      [BOOTSTRAP]: proxylessBootstrap(served.xdsPort, `${name}-v1-abc12`, {
        ...INBOUND_TEMPLATE,
        ...certificateProviders(ca, id),
      }),
    } as never);
    servers.push(server);
    server.addService(echoMethods, {
      Hello: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)),
      Slow: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)),
    });
    // Plaintext is only the fallback for a listener without a transport socket.
    const creds = new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure());
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, creds, (e) => (e ? reject(e) : resolve())),
    );
  }

  function client(target: string, node: string, id: Identity, xdsCredentials = true): grpc.Client {
    const creds = xdsCredentials
      ? new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure())
      : grpc.credentials.createInsecure();
    const c = new grpc.Client(`xds:///${target}.app.svc.cluster.local:7000`, creds, {
      [BOOTSTRAP]: proxylessBootstrap(served.xdsPort, node, certificateProviders(ca, id)),
    } as grpc.ClientOptions);
    clients.push(c);
    return c;
  }

  let allowed: Identity;
  let other: Identity;
  let guardedPort: number;
  let impostorPort: number;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-grpc-mtls-'));
    mkdirSync(join(dir, 'certs'));
    mkdirSync(join(dir, 'manifests'));
    ca = makeMeshCa(join(dir, 'certs'));
    allowed = ca.issue('app', 'allowed');
    other = ca.issue('app', 'other');
    guardedPort = await freePort();
    impostorPort = await freePort();
    writeFileSync(join(dir, 'manifests', 'app.yaml'), manifests(guardedPort, impostorPort, 'impostor'));
    served = await startServe(['--config-dir', join(dir, 'manifests'), '--debounce-after', '20ms']);
    await startServer('guarded', guardedPort, ca.issue('app', 'guarded'));
    await startServer('impostor', impostorPort, other);
  });
  after(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets the principal an ALLOW policy names through', async () => {
    assert.equal(await hello(client('guarded', 'allowed-1', allowed)), 'guarded');
  });

  it('answers a peer with another mesh identity with PERMISSION_DENIED', async () => {
    await assert.rejects(
      hello(client('guarded', 'other-1', other)),
      (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
    );
  });

  it('refuses a plaintext client at the STRICT server: no connection, not a policy denial', async () => {
    await assert.rejects(
      hello(client('guarded', 'plain-1', allowed, false), new grpc.Metadata(), 3000),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
  });

  it("refuses a server whose certificate is not one of its pods' service accounts", async () => {
    // impostor has no policy: only the client's check of the server identity can fail this call.
    await assert.rejects(
      hello(client('impostor', 'allowed-2', allowed), new grpc.Metadata(), 3000),
      (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
    );
    // Once its pod says it runs as the identity its certificate proves, the same server is reachable.
    writeFileSync(join(dir, 'manifests', 'app.yaml'), manifests(guardedPort, impostorPort, 'other'));
    const deadline = Date.now() + 15_000;
    for (let n = 3; ; n++) {
      try {
        assert.equal(await hello(client('impostor', `allowed-${n}`, allowed), new grpc.Metadata(), 2000), 'impostor');
        break;
      } catch (e) {
        if (Date.now() > deadline) throw e;
      }
    }
  });
});
