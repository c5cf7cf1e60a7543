import { strict as assert } from 'node:assert';
import { connect } from 'node:http2';
import { after, describe, it } from 'node:test';
import { encodeMessage, TypeUrl, type PreparedResource } from '../../src/envoy';
import { WriteBudget, type WriteGrant } from '../../src/xds';
import { bigCluster, cluster, endpoints } from '../support/resources';
import { adsChannel, DeltaClient, type DeltaResponse } from '../support/xds-client';
import { startXds, waitFor } from '../support/xds-harness';

describe('WriteBudget', () => {
  const take = (b: WriteBudget, bytes: number, log: string[], name: string, wait = true) => {
    const box: { grant?: WriteGrant } = {};
    const cancel = b.acquire(
      bytes,
      (g) => {
        log.push(name);
        box.grant = g;
      },
      wait,
    );
    return { box, cancel };
  };

  it('lets writes through while they fit and starts the rest in order as bytes drain', () => {
    const b = new WriteBudget({ maxBytes: 100, stallMs: 60_000 });
    const log: string[] = [];
    const a = take(b, 60, log, 'a');
    const c = take(b, 30, log, 'c');
    const d = take(b, 30, log, 'd'); // 120 > 100: waits
    const e = take(b, 5, log, 'e'); // would fit, but waits behind d
    assert.deepEqual(log, ['a', 'c']);
    assert.equal(b.queuedBytes, 90);
    assert.equal(b.waitingCount, 2);
    c.box.grant!.release();
    assert.deepEqual(log, ['a', 'c', 'd', 'e']);
    assert.equal(b.queuedBytes, 95);
    a.box.grant!.release();
    a.box.grant!.release(); // a second release changes nothing
    assert.equal(b.queuedBytes, 35);
    d.box.grant!.release();
    e.box.grant!.release();
    assert.equal(b.queuedBytes, 0);
    assert.equal(b.waited, 2);
  });

  it('always lets one write through when nothing is queued, however large', () => {
    const b = new WriteBudget({ maxBytes: 10, stallMs: 60_000 });
    const log: string[] = [];
    const big = take(b, 1000, log, 'big');
    const next = take(b, 1000, log, 'next');
    assert.deepEqual(log, ['big']);
    big.box.grant!.release();
    assert.deepEqual(log, ['big', 'next']);
    next.box.grant!.release();
  });

  it('counts writes that may not wait without holding them back, and withdrawn requests are skipped', () => {
    const b = new WriteBudget({ maxBytes: 10, stallMs: 60_000 });
    const log: string[] = [];
    const a = take(b, 10, log, 'a');
    const w = take(b, 5, log, 'waiting');
    const push = take(b, 50, log, 'push', false);
    assert.deepEqual(log, ['a', 'push']);
    assert.equal(b.queuedBytes, 60);
    w.cancel();
    const later = take(b, 5, log, 'later');
    a.box.grant!.release();
    assert.deepEqual(log, ['a', 'push'], 'the push still holds 50 of 10 bytes');
    push.box.grant!.release();
    assert.deepEqual(log, ['a', 'push', 'later']);
    later.box.grant!.release();
    assert.equal(b.queuedBytes, 0);
  });

  it('stops counting a write that never drains, so waiting writes still go', async () => {
    const b = new WriteBudget({ maxBytes: 10, stallMs: 20 });
    const log: string[] = [];
    const stuck = take(b, 10, log, 'stuck');
    const started = new Promise<void>((resolve) => b.acquire(10, () => resolve()));
    await started;
    assert.equal(b.queuedBytes, 10, 'only the write that started is counted');
    stuck.box.grant!.release(); // late release of a written-off write changes nothing
    assert.equal(b.queuedBytes, 10);
    b.close();
  });
});

/**
 * A Delta stream that asks for clusters and then reads nothing, on a bare
 * HTTP/2 connection: flow control stops the server's writes to it after a
 * window's worth. (A grpc-js client keeps reading until a whole message
 * arrives, whatever its size.)
 */
function stalledDeltaStream(address: string, nodeId: string) {
  const session = connect(`http://${address}`);
  const stream = session.request({
    ':method': 'POST',
    ':path': '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
    'content-type': 'application/grpc',
    te: 'trailers',
  });
  stream.on('error', () => undefined);
  session.on('error', () => undefined);
  stream.pause();
  const body = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
    node: { id: nodeId },
    type_url: TypeUrl.Cluster,
    resource_names_subscribe: ['*'],
  } as never);
  const header = Buffer.alloc(5);
  header.writeUInt32BE(body.length, 1);
  stream.write(Buffer.concat([header, body]));
  let received = 0;
  return {
    /** Starts reading; resolves once `bytes` have arrived. */
    resume(bytes: number): Promise<void> {
      return new Promise((resolve) => {
        stream.on('data', (b: Buffer) => {
          received += b.length;
          if (received >= bytes) resolve();
        });
        stream.resume();
      });
    },
    close(): void {
      // destroy, not close: a graceful close waits for the server to end a stream it is still holding.
      stream.destroy();
      session.destroy();
    },
  };
}

describe('write budget on the server', () => {
  const servers: Array<{ close(): Promise<void> }> = [];
  const clients: DeltaClient[] = [];
  const channels: Array<{ close(): void }> = [];
  after(async () => {
    for (const c of clients) c.close();
    // A shared channel outlives its streams: left open, it keeps the test process alive.
    for (const ch of channels) ch.close();
    for (const s of servers) await s.close();
  });

  /** Subscribes like a waypoint (CDS, then EDS for what CDS named) and ACKs until it holds every type. */
  async function firstSync(c: DeltaClient): Promise<void> {
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const cds = await c.next(20_000);
    c.ack(cds);
    c.send({ type_url: TypeUrl.Endpoint, subscribe: cds.resources.map((r) => r.name) });
    const eds = await c.next(20_000);
    c.ack(eds);
  }

  const heldMatches = (c: DeltaClient, type: string, want: readonly PreparedResource[]) =>
    assert.deepEqual(
      c.heldVersions(type),
      Object.fromEntries(want.map((r) => [r.name, r.version])),
      `${type} held by a client`,
    );

  it('serves many streams first-syncing at once complete and correct config, one response at a time', async () => {
    // Every first-sync response waits for the one before it, server-wide.
    const x = await startXds({ writeBudget: { maxBytes: 1, stallMs: 60_000 } });
    servers.push(x);
    const channel = adsChannel(x.address);
    channels.push(channel);
    const want = new Map<string, { clusters: PreparedResource[]; eds: PreparedResource[] }>();
    const streams: DeltaClient[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `waypoint~10.0.2.${i}~wp-${i}.default~default.svc.cluster.local`;
      const clusters = [bigCluster(`c${i}-a`, 20_000 + i), cluster(`c${i}-b`, String(i))];
      const eds = [endpoints(`c${i}-a`, [`10.1.${i}.1`]), endpoints(`c${i}-b`, [`10.1.${i}.2`])];
      x.set(id, { [TypeUrl.Cluster]: clusters, [TypeUrl.Endpoint]: eds });
      want.set(id, { clusters, eds });
      const c = new DeltaClient(x.address, { id }, undefined, channel);
      clients.push(c);
      streams.push(c);
    }
    await Promise.all(streams.map(firstSync));
    let i = 0;
    for (const { clusters, eds } of want.values()) {
      heldMatches(streams[i]!, TypeUrl.Cluster, clusters);
      heldMatches(streams[i]!, TypeUrl.Endpoint, eds);
      i++;
    }
    assert.ok(x.server.writeBudget.waited > 0, 'some first syncs waited on the budget');
    await waitFor(() => x.server.writeBudget.queuedBytes === 0, 5000, 'every write to drain');
    // syncz still reports each stream's sent and ACKed state, once the last ACKs are in.
    const statuses = () =>
      x.server
        .syncz()
        .flatMap((cfg) => cfg.generic_xds_configs ?? [])
        .filter((t) => t.type_url === TypeUrl.Cluster || t.type_url === TypeUrl.Endpoint)
        .map((t) => t.config_status);
    await waitFor(() => statuses().every((s) => s === 'SYNCED'), 5000, 'every stream to be ACKed');
    assert.equal(statuses().length, 80);
  });

  it('serves a stream held back by a client that stops reading, and never holds back pushes to synced streams', async () => {
    const x = await startXds({ writeBudget: { maxBytes: 1, stallMs: 60_000 } });
    servers.push(x);
    const synced = new DeltaClient(x.address, { id: 'waypoint~10.0.3.1~synced.default~default.svc.cluster.local' });
    const held = new DeltaClient(x.address, { id: 'waypoint~10.0.3.3~held.default~default.svc.cluster.local' });
    clients.push(synced, held);
    x.set('waypoint~10.0.3.1~synced.default~default.svc.cluster.local', { [TypeUrl.Cluster]: [cluster('s', '1')] });
    // Far more than HTTP/2 flow control and socket buffers take without the client reading.
    x.set('waypoint~10.0.3.2~slow.default~default.svc.cluster.local', {
      [TypeUrl.Cluster]: [bigCluster('big', 8 << 20)],
    });
    x.set('waypoint~10.0.3.3~held.default~default.svc.cluster.local', { [TypeUrl.Cluster]: [cluster('h', '1')] });
    synced.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    synced.ack(await synced.next());

    const slow = stalledDeltaStream(x.address, 'waypoint~10.0.3.2~slow.default~default.svc.cluster.local');
    await waitFor(() => x.server.writeBudget.queuedBytes > 1 << 20, 5000, 'the large response to be queued');
    held.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    await waitFor(() => x.server.writeBudget.waitingCount === 1, 5000, 'the first sync to wait on the budget');

    // A push to a stream that has synced goes while first syncs wait.
    x.set('waypoint~10.0.3.1~synced.default~default.svc.cluster.local', { [TypeUrl.Cluster]: [cluster('s', '2')] });
    x.server.flushNow();
    const push: DeltaResponse = await synced.next(10_000);
    assert.deepEqual(
      push.resources.map((r) => r.name),
      ['s'],
    );
    assert.equal(x.server.writeBudget.waitingCount, 1, 'the held stream still waits');

    // Once the stalled client reads, the held stream gets its first response.
    await slow.resume(8 << 20);
    slow.close();
    const first = await held.next(20_000);
    assert.deepEqual(
      first.resources.map((r) => r.name),
      ['h'],
    );
  });

  it('stops waiting on a client that never reads', async () => {
    const x = await startXds({ writeBudget: { maxBytes: 1, stallMs: 50 } });
    servers.push(x);
    const next = new DeltaClient(x.address, { id: 'waypoint~10.0.4.2~next.default~default.svc.cluster.local' });
    clients.push(next);
    x.set('waypoint~10.0.4.1~slow.default~default.svc.cluster.local', {
      [TypeUrl.Cluster]: [bigCluster('big', 8 << 20)],
    });
    x.set('waypoint~10.0.4.2~next.default~default.svc.cluster.local', { [TypeUrl.Cluster]: [cluster('n', '1')] });
    const slow = stalledDeltaStream(x.address, 'waypoint~10.0.4.1~slow.default~default.svc.cluster.local');
    await waitFor(() => x.server.writeBudget.queuedBytes > 1 << 20, 5000, 'the large response to be queued');
    next.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const r = await next.next(20_000);
    assert.deepEqual(
      r.resources.map((res) => res.name),
      ['n'],
    );
    assert.ok(x.server.writeBudget.waited > 0, 'the stream did wait');
    slow.close();
  });

  it('gives back what a closed stream held, so streams waiting behind it go', async () => {
    const x = await startXds({ writeBudget: { maxBytes: 1, stallMs: 60_000 } });
    servers.push(x);
    const next = new DeltaClient(x.address, { id: 'waypoint~10.0.5.2~next.default~default.svc.cluster.local' });
    clients.push(next);
    x.set('waypoint~10.0.5.1~slow.default~default.svc.cluster.local', {
      [TypeUrl.Cluster]: [bigCluster('big', 8 << 20)],
    });
    x.set('waypoint~10.0.5.2~next.default~default.svc.cluster.local', { [TypeUrl.Cluster]: [cluster('n', '1')] });
    const slow = stalledDeltaStream(x.address, 'waypoint~10.0.5.1~slow.default~default.svc.cluster.local');
    await waitFor(() => x.server.writeBudget.queuedBytes > 1 << 20, 5000, 'the large response to be queued');
    next.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    await waitFor(() => x.server.writeBudget.waitingCount === 1, 5000, 'the first sync to wait on the budget');
    slow.close();
    const r = await next.next(20_000);
    assert.deepEqual(
      r.resources.map((res) => res.name),
      ['n'],
    );
    await waitFor(() => x.server.writeBudget.queuedBytes === 0, 5000, 'the budget to be empty');
  });
});
