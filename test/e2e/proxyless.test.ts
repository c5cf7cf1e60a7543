// Proxyless gRPC as the real data plane: grpc-js-xds clients bootstrapped at
// `serve` route real calls to real grpc-js backends by the HTTPRoutes we
// translate, and follow an edit on disk without restarting anything.
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import * as grpcXds from '@grpc/grpc-js-xds';
import { hello, startEcho } from '../support/echo-backend';
import { startServe, type Served } from './serve-process';
import { proxylessBootstrap, proxylessManifests as manifests } from '../support/proxyless-fixture';

grpcXds.register();

describe('proxyless gRPC clients routed by our configuration', () => {
  let dir: string;
  let served: Served;
  let v1: Awaited<ReturnType<typeof startEcho>>;
  let v2: Awaited<ReturnType<typeof startEcho>>;
  let client: grpc.Client;
  before(async () => {
    v1 = await startEcho('v1');
    v2 = await startEcho('v2');
    dir = mkdtempSync(join(tmpdir(), 'istiod-lite-grpc-'));
    writeFileSync(join(dir, 'app.yaml'), manifests(v1.port, v2.port));
    served = await startServe(['--config-dir', dir, '--debounce-after', '20ms']);
    client = new grpc.Client('xds:///echo.app.svc.cluster.local:7000', grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': proxylessBootstrap(served.xdsPort, 'client-1'),
    } as grpc.ClientOptions);
  });
  after(async () => {
    client?.close();
    await served?.stop();
    await v1?.close();
    await v2?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('routes by header match', async () => {
    const md = new grpc.Metadata();
    md.set('x-variant', 'b');
    for (let i = 0; i < 5; i++) assert.equal(await hello(client, md), 'v2');
  });

  it('splits 90/10 within statistical bounds', async () => {
    let seenV2 = 0;
    const n = 300;
    for (let i = 0; i < n; i++) if ((await hello(client)) === 'v2') seenV2++;
    // Expected 30; a binomial(300, 0.1) lands in [10, 55] with overwhelming probability.
    assert.ok(seenV2 >= 10 && seenV2 <= 55, `v2 got ${seenV2} of ${n}`);
  });

  it("enforces a rule's timeout", async () => {
    const start = Date.now();
    await assert.rejects(
      hello(client, new grpc.Metadata(), 5000, 'Slow'),
      (e: grpc.ServiceError) => e.code === grpc.status.DEADLINE_EXCEEDED,
    );
    assert.ok(Date.now() - start < 900, 'the route timeout, not the backend, ended the call');
  });

  it('routes a GRPCRoute by method and splits 70/30 (MeshGRPCRouteWeight, named rules)', async () => {
    const bootstrap = proxylessBootstrap(served.xdsPort, 'client-2');
    const c = new grpc.Client('xds:///split.app.svc.cluster.local:7000', grpc.credentials.createInsecure(), {
      'grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config': bootstrap,
    } as grpc.ClientOptions);
    try {
      for (let i = 0; i < 3; i++) assert.equal(await hello(c, new grpc.Metadata(), 5000, 'Slow'), 'v2');
      let v2Count = 0;
      for (let i = 0; i < 300; i++) if ((await hello(c)) === 'v2') v2Count++;
      // Expected 90 of 300; [55, 130] holds with overwhelming probability.
      assert.ok(v2Count >= 55 && v2Count <= 130, `v2 got ${v2Count} of 300`);
    } finally {
      c.close();
    }
  });

  it('follows an edit on disk without restarting anything', async () => {
    const file = join(dir, 'app.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace('weight: 90', 'weight: 0').replace('weight: 10', 'weight: 100'),
    );
    const deadline = Date.now() + 10_000;
    let streak = 0;
    while (Date.now() < deadline && streak < 20) streak = (await hello(client)) === 'v2' ? streak + 1 : 0;
    assert.equal(streak, 20, 'every call now lands on v2');
  });
});
