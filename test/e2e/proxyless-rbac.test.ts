// An AuthorizationPolicy on a Service, enforced by a real xDS-enabled grpc-js
// server that gets its listener (and RBAC) from us.
import '../support/enable-grpc-rbac';
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { echoMethods, hello } from '../support/echo-backend';
import { freePort } from '../support/free-port';
import { startServe, type Served } from './serve-process';

grpcXds.register();

describe('AuthorizationPolicy at a proxyless gRPC server', () => {
  let dir: string;
  let served: Served;
  let server: grpcXds.XdsServer;
  let client: grpc.Client;
  before(async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-grpc-rbac-'));
    writeFileSync(
      join(dir, 'app.yaml'),
      `apiVersion: v1
kind: Namespace
metadata: {name: app}
---
apiVersion: v1
kind: Service
metadata: {name: guarded, namespace: app}
spec:
  clusterIP: 10.96.9.9
  selector: {app: guarded}
  ports: [{name: grpc, port: 7000, targetPort: ${port}, appProtocol: grpc}]
---
apiVersion: v1
kind: Pod
metadata: {name: guarded-v1-abc12, namespace: app, labels: {app: guarded}}
spec: {}
status: {phase: Running, podIP: 127.0.0.1, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: no-slow, namespace: app}
spec:
  targetRefs: [{kind: Service, group: "", name: guarded}]
  action: DENY
  rules:
  - to: [{operation: {paths: [/test.Echo/Slow]}}]
`,
    );
    served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
    const bootstrap = (id: string) =>
      JSON.stringify({
        xds_servers: [
          {
            server_uri: `127.0.0.1:${served.xdsPort}`,
            channel_creds: [{ type: 'insecure' }],
            server_features: ['xds_v3'],
          },
        ],
        node: { id, metadata: { GENERATOR: 'grpc', NAMESPACE: 'app' }, locality: { region: 'r1', zone: 'z1' } },
        server_listener_resource_name_template: 'xds.istio.io/grpc/lds/inbound/%s',
      });
    server = new grpcXds.XdsServer({
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap(
        'sidecar~127.0.0.1~guarded-v1-abc12.app~app.svc.cluster.local',
      ),
    } as never);
    server.addService(echoMethods, {
      Hello: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) =>
        cb(null, Buffer.from('guarded')),
      Slow: (_c: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from('slow')),
    });
    await new Promise<void>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (e) =>
        e ? reject(e) : resolve(),
      ),
    );
    client = new grpc.Client('xds:///guarded.app.svc.cluster.local:7000', grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap(
        'sidecar~127.0.0.2~client-1.app~app.svc.cluster.local',
      ),
    } as grpc.ClientOptions);
  });
  after(async () => {
    client?.close();
    server?.forceShutdown();
    await served?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets allowed calls through and answers denied ones with PERMISSION_DENIED', async () => {
    assert.equal(await hello(client), 'guarded');
    await assert.rejects(
      hello(client, new grpc.Metadata(), 5000, 'Slow'),
      (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
    );
  });
});
