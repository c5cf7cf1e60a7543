import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { SotwClient, DeltaClient } from '../support/xds-client';
import { cluster } from '../support/resources';
import { startXds } from '../support/xds-harness';

const NODE = 'sidecar~10.0.4.1~ok.default~default.svc.cluster.local';
const identity = (b: Buffer) => b;

/** Sends raw bytes on an ADS method and returns the status the stream ends with. */
function rawStream(address: string, method: string, payload: Buffer): Promise<grpc.StatusObject> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    `/envoy.service.discovery.v3.AggregatedDiscoveryService/${method}`,
    identity,
    identity,
  );
  return new Promise((resolve) => {
    call.on('status', (s: grpc.StatusObject) => {
      client.close();
      resolve(s);
    });
    call.on('error', () => undefined);
    call.on('data', () => undefined);
    call.write(payload);
  });
}

describe('bad requests', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let healthy: SotwClient;
  before(async () => {
    x = await startXds();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')] });
    healthy = new SotwClient(x.address, { id: NODE });
    healthy.send({ type_url: TypeUrl.Cluster });
    healthy.ack(await healthy.next());
  });
  after(async () => {
    healthy.close();
    await x.close();
  });

  async function stillServed(tag: string) {
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', tag)] });
    const r = await healthy.next();
    healthy.ack(r);
  }

  it('closes a stream sending bytes that are not a DiscoveryRequest with INVALID_ARGUMENT', async () => {
    for (const method of ['StreamAggregatedResources', 'DeltaAggregatedResources']) {
      const s = await rawStream(x.address, method, Buffer.from([0x0f, 0x01, 0x02]));
      assert.equal(s.code, grpc.status.INVALID_ARGUMENT);
      assert.match(s.details, /malformed (Delta)?DiscoveryRequest/);
    }
    await stillServed('1');
  });

  it('rejects a first request with no node id, naming the rule', async () => {
    const c = new SotwClient(x.address, { id: '' });
    c.send({ type_url: TypeUrl.Cluster });
    await assert.rejects(c.next(1000));
    assert.equal(c.error?.code, grpc.status.INVALID_ARGUMENT);
    assert.match(c.error?.details ?? '', /must carry node\.id/);
    c.close();
    await stillServed('2');
  });

  it('rejects a request without type_url', async () => {
    const c = new DeltaClient(x.address, { id: NODE });
    c.send({ type_url: '' });
    await assert.rejects(c.next(1000));
    assert.equal(c.error?.code, grpc.status.INVALID_ARGUMENT);
    c.close();
  });

  it('ignores a type it does not serve with a log line and keeps the stream', async () => {
    const c = new SotwClient(x.address, { id: NODE });
    try {
      c.send({
        type_url: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig',
        resource_names: ['x'],
      });
      // Responses keep the order of requests: an answer to the unserved type would come first.
      c.send({ type_url: TypeUrl.Cluster });
      const r = await c.next();
      assert.equal(r.type_url, TypeUrl.Cluster);
      assert.equal(r.resources.length, 1);
      assert.ok(
        x.logs.some((l) => l.msg.includes('does not serve') && String(l.type).endsWith('TypedExtensionConfig')),
      );
    } finally {
      c.close();
    }
  });

  it('answers garbage and huge name lists without harm', async () => {
    const c = new DeltaClient(x.address, { id: NODE });
    try {
      const junk = Array.from({ length: 5000 }, (_, i) => `\u0000\uffff${'é'.repeat(i % 50)}${i}`);
      c.send({ type_url: TypeUrl.Route, subscribe: junk });
      const r = await c.next();
      assert.equal(r.resources.length, 0);
      assert.equal(r.removed_resources.length, junk.length);
      c.send({ type_url: TypeUrl.Route, unsubscribe: junk });
      await x.quiet(c);
    } finally {
      c.close();
    }
    await stillServed('3');
  });
});
