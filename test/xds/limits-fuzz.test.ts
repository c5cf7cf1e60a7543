import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { encodeMessage, TypeUrl } from '../../src/envoy';
import { parseManifestFile } from '../../src/watch/parse';
import { SotwClient, DeltaClient } from '../support/xds-client';
import { cluster } from '../support/resources';
import { startXds } from '../support/xds-harness';
import { mutate, rng } from '../support/fuzz';

const NODE = 'sidecar~10.0.6.1~fuzz.default~default.svc.cluster.local';
const identity = (b: Buffer) => b;

describe('limits and fuzzing', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let healthy: SotwClient;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  before(async () => {
    process.on('unhandledRejection', onUnhandled);
    x = await startXds({ limits: { maxNamesPerRequest: 10, maxRequestBytes: 64 * 1024 } });
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')] });
    healthy = new SotwClient(x.address, { id: NODE });
    healthy.send({ type_url: TypeUrl.Cluster });
    healthy.ack(await healthy.next());
  });
  after(async () => {
    process.off('unhandledRejection', onUnhandled);
    healthy.close();
    await x.close();
  });

  it('refuses a request naming more resources than the limit, with the limit in the message', async () => {
    const c = new DeltaClient(x.address, { id: NODE });
    c.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: 11 }, (_, i) => `e${i}`) });
    await assert.rejects(c.next(2000));
    assert.equal(c.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(c.error?.details ?? '', /names 11 resources; the limit is 10/);
    c.close();
  });

  it('refuses a request larger than the limit', async () => {
    const c = new SotwClient(x.address, { id: NODE });
    c.send({ type_url: TypeUrl.Endpoint, resource_names: ['x'.repeat(100 * 1024)] });
    await assert.rejects(c.next(2000));
    assert.equal(c.error?.code, grpc.status.RESOURCE_EXHAUSTED);
    c.close();
  });

  it('survives 3,000 random and mutated discovery requests and keeps serving others', async () => {
    const r = rng(20261124);
    const seeds = [
      encodeMessage('envoy.service.discovery.v3.DiscoveryRequest', {
        node: { id: NODE },
        type_url: TypeUrl.Cluster,
        resource_names: ['a', 'b'],
      }),
      encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
        node: { id: NODE },
        type_url: TypeUrl.Route,
        resource_names_subscribe: ['r'],
        initial_resource_versions: { r: 'v' },
      }),
    ];
    // The hostile client has its own connection, as it would in reality; it
    // must not take down the healthy proxy's stream.
    const client = new grpc.Client(x.address, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
    });
    const methods = ['StreamAggregatedResources', 'DeltaAggregatedResources'];
    try {
      for (let batch = 0; batch < 30; batch++) {
        await Promise.all(
          Array.from({ length: 100 }, (_, i) => {
            const m = (batch * 100 + i) % 2;
            const call = client.makeBidiStreamRequest(
              `/envoy.service.discovery.v3.AggregatedDiscoveryService/${methods[m]}`,
              identity,
              identity,
            );
            return new Promise<void>((resolve) => {
              const done = () => resolve();
              call.on('status', done);
              call.on('error', () => undefined);
              call.on('data', () => undefined);
              for (let k = 0; k < 3; k++) call.write(mutate(seeds[m]!, r));
              setTimeout(() => {
                call.cancel();
                resolve();
              }, 50);
            });
          }),
        );
      }
    } finally {
      client.close();
    }
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'after-fuzz')] });
    const r2 = await healthy.next(3000);
    assert.equal(r2.resources.length, 1, 'the healthy stream still gets pushes');
    assert.deepEqual(unhandled, []);
  });

  it('parses 2,000 mutated manifests without throwing, reporting every problem with a line', () => {
    const r = rng(7);
    const good = `apiVersion: v1\nkind: Service\nmetadata:\n  name: s\n  namespace: a\nspec:\n  ports:\n  - port: 80\n---\napiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: r, namespace: a}\nspec:\n  parentRefs: [{group: "", kind: Service, name: s}]\n  rules: [{backendRefs: [{name: s, port: 80, weight: 1}]}]\n`;
    for (let i = 0; i < 2000; i++) {
      const text = mutate(Buffer.from(good), r).toString('utf8');
      const parsed = parseManifestFile('fuzz.yaml', text);
      for (const e of parsed.errors)
        assert.ok(e.file === 'fuzz.yaml' && typeof e.line === 'number' && e.line >= 1, JSON.stringify(e));
    }
  });
});
