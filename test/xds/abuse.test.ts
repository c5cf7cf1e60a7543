// Hostile or careless clients against one server: each test reproduces an
// attack with a bounded loop on 127.0.0.1 and checks that another proxy is
// still served and the event loop stayed responsive. Timing bounds are
// loose on purpose (a loaded 2-core machine); the attacks they guard against
// took seconds.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { adszJson, MAX_NAMES_SHOWN, synczJson } from '../../src/debug/views';
import { adsChannel, csdsClient, DeltaClient, SotwClient } from '../support/xds-client';
import { cluster } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';
import { headerAuthenticator, watchLoop, withHeaders } from '../support/loop-lag';

const HEALTHY = 'waypoint~10.0.7.1~wp-ok.ns1~ns1.svc.cluster.local';
const HOSTILE = 'waypoint~10.0.7.2~wp-bad.ns2~ns2.svc.cluster.local';
/** Longest the event loop may stall while an attack runs; the attacks measured took 2.5–12 s. */
const LOOP_BOUND_MS = 1500;

async function metric(x: Awaited<ReturnType<typeof startXds>>, name: string, label: string): Promise<number> {
  const m = await x.server.metrics.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.values(v.labels).includes(label)).reduce((a, v) => a + v.value, 0);
}

/** The healthy proxy still gets a push, promptly by a loaded machine's standards. */
async function stillServed(x: Awaited<ReturnType<typeof startXds>>, healthy: SotwClient, version: string) {
  x.set(HEALTHY, { [TypeUrl.Cluster]: [cluster('ok', version)] });
  const r = await healthy.next(5000);
  assert.equal(r.resources.length, 1, 'the healthy proxy got its push');
  healthy.ack(r);
}

describe('hostile clients', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let healthy: SotwClient;
  before(async () => {
    x = await startXds();
    x.set(HEALTHY, { [TypeUrl.Cluster]: [cluster('ok')] });
    x.set(HOSTILE, { [TypeUrl.Cluster]: [cluster('bad')] });
    healthy = new SotwClient(x.address, { id: HEALTHY });
    healthy.send({ type_url: TypeUrl.Cluster });
    healthy.ack(await healthy.next());
  });
  after(async () => {
    healthy.close();
    await x.close();
  });

  it('a stream NACKing 1,000 times with 16 KiB of text writes a handful of short lines and counts the rest', async () => {
    const before = x.logs.length;
    const c = new SotwClient(x.address, { id: HOSTILE });
    const loop = watchLoop();
    try {
      c.send({ type_url: TypeUrl.Cluster });
      const r = await c.next();
      const text = 'rejected: '.padEnd(16 * 1024, 'x');
      for (let i = 0; i < 1000; i++) c.nack(r, text);
      // Every NACK is counted as a rejection, even when its line is dropped.
      for (let i = 0; i < 200 && (await metric(x, 'pilot_total_xds_rejects', 'cds')) < 1000; i++)
        await new Promise((res) => setTimeout(res, 50));
      assert.equal(await metric(x, 'pilot_total_xds_rejects', 'cds'), 1000);
      await stillServed(x, healthy, 'after-nacks');
      const nacks = x.logs.slice(before).filter((l) => l.msg === 'proxy rejected configuration');
      assert.ok(nacks.length >= 1 && nacks.length <= 10, `${nacks.length} NACK lines for 1,000 NACKs`);
      for (const l of nacks) assert.ok(String(l.error).length < 600, 'the client text is clipped in the log');
      const dropped = await metric(x, 'istiod_lite_xds_log_lines_suppressed', 'proxy rejected configuration');
      assert.ok(dropped >= 900, `${dropped} dropped lines counted`);
      // What syncz keeps of the text is bounded too.
      const cfg = x.server.syncz().find((s) => s.node?.id === 'wp-bad.ns2')!;
      const cds = cfg.generic_xds_configs!.find((g) => g.type_url === TypeUrl.Cluster)!;
      assert.ok((cds.error_state?.details ?? '').length <= 4200);
      assert.match(cds.error_state?.details ?? '', /^rejected: x+…\(\d+ more characters\)$/);
    } finally {
      c.close();
    }
    assert.ok(loop.stop() < LOOP_BOUND_MS, 'the event loop stayed responsive');
  });

  it('a stream growing its subscription a request at a time is ended at the per-stream limit', async () => {
    const c = new DeltaClient(x.address, { id: HOSTILE });
    const loop = watchLoop();
    try {
      // The per-request limit (100,000) alone would let this grow without end.
      for (let i = 0; i < 40 && !c.error; i++) {
        c.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: 50_000 }, (_, k) => `e-${i}-${k}`) });
        await new Promise((r) => setTimeout(r, 20));
      }
      await c.inbox.closed(10_000);
      assert.equal(c.error?.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(c.error?.details ?? '', /subscribes to \d+ resource names; the limit is 100000 per stream/);
      await stillServed(x, healthy, 'after-growth');
    } finally {
      c.close();
    }
    assert.ok(loop.stop() < LOOP_BOUND_MS * 2, 'the event loop stayed responsive');
    // The names went with the stream.
    await waitFor(() => ![...x.server.connections.values()].some((k) => k.proxy?.nodeId === HOSTILE));
    assert.ok((await metric(x, 'istiod_lite_xds_requests_refused', 'names_per_stream')) >= 1);
  });

  it('streams of one connection share a name limit; other connections are unaffected', async () => {
    const y = await startXds({ limits: { maxNamesPerStream: 1000, maxNamesPerConnection: 2500 } });
    const channel = adsChannel(y.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    const streams = Array.from(
      { length: 5 },
      (_, i) => new DeltaClient(y.address, { id: `${HOSTILE}-${i}` }, {}, channel),
    );
    const other = new DeltaClient(y.address, { id: HEALTHY }, { 'grpc.use_local_subchannel_pool': 1 });
    const subscribe = async (i: number, n: number) => {
      streams[i]!.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: n }, (_, k) => `s${i}-${k}`) });
      return streams[i]!.next(5000);
    };
    try {
      for (let i = 0; i < 3; i++) assert.equal((await subscribe(i, 800)).removed_resources.length, 800);
      // 800 × 4 passes the connection's 2,500 though each stream is under its own 1,000.
      streams[3]!.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: 800 }, (_, k) => `s3-${k}`) });
      await streams[3]!.inbox.closed(5000);
      assert.deepEqual(streams[3]!.inbox.drain(), [], 'refused before any of it was served');
      assert.equal(streams[3]!.error?.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(streams[3]!.error?.details ?? '', /the limit is 2500 per connection/);
      assert.equal(streams[0]!.error, undefined, 'the first streams keep their subscriptions');
      // The refused stream's names were given back: 100 more fit.
      assert.equal((await subscribe(4, 100)).removed_resources.length, 100);
      other.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: 900 }, (_, k) => `o-${k}`) });
      assert.equal((await other.next(5000)).removed_resources.length, 900, 'another connection has its own budget');
    } finally {
      for (const s of [...streams, other]) s.close();
      channel.close();
      await y.close();
    }
  });

  it('the debug views cap the names they list and page through proxies', async () => {
    const c = new DeltaClient(x.address, { id: HOSTILE });
    try {
      c.send({ type_url: TypeUrl.Endpoint, subscribe: Array.from({ length: 20_000 }, (_, k) => `n-${k}`) });
      await c.next(5000);
      await waitFor(() => x.server.syncz().length === 2, 5000, 'earlier streams gone');
      const adsz = adszJson(x.server) as {
        totalClients: number;
        clients: { node: string; types: { names: string[]; namesTotal: number }[] }[];
      };
      const mine = adsz.clients.find((cl) => cl.node === HOSTILE)!;
      assert.equal(mine.types[0]!.namesTotal, 20_000);
      assert.equal(mine.types[0]!.names.length, MAX_NAMES_SHOWN);
      assert.ok(JSON.stringify(adsz).length < 64 * 1024, 'the response stays small');
      const page = adszJson(x.server, new URLSearchParams({ limit: '1' })) as {
        clients: unknown[];
        next: number | null;
      };
      assert.equal(page.clients.length, 1);
      assert.equal(page.next, 1);
      const sync = synczJson(x.server, new URLSearchParams({ limit: '1', offset: '1' }));
      assert.equal(sync.body.length, 1);
      assert.equal(sync.total, 2);
    } finally {
      c.close();
    }
  });

  it('200 streams refused at authentication write a handful of lines', async () => {
    const y = await startXds();
    const port = await y.server.listen('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), {
      authenticators: [headerAuthenticator],
    });
    const channel = adsChannel(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
      withHeaders({ 'x-test-refuse': '1' }),
    );
    try {
      for (let i = 0; i < 200; i++) {
        const c = new SotwClient(`127.0.0.1:${port}`, { id: HOSTILE }, {}, channel);
        c.send({ type_url: TypeUrl.Cluster });
        await c.inbox.closed(5000);
        assert.equal(c.error?.code, grpc.status.UNAUTHENTICATED);
      }
      const lines = y.logs.filter((l) => l.msg === 'stream refused');
      assert.ok(lines.length >= 1 && lines.length <= 10, `${lines.length} lines for 200 refusals`);
      assert.ok((await metric(y, 'istiod_lite_xds_log_lines_suppressed', 'stream refused')) >= 190);
    } finally {
      channel.close();
      await y.close();
    }
  });

  it('refuses a node id longer than the limit', async () => {
    const c = new SotwClient(x.address, { id: 'x'.repeat(3000) });
    try {
      c.send({ type_url: TypeUrl.Cluster });
      await c.inbox.closed(5000);
      assert.equal(c.error?.code, grpc.status.INVALID_ARGUMENT);
      assert.match(c.error?.details ?? '', /node\.id is 3000 characters; the limit is 2048/);
    } finally {
      c.close();
    }
  });
});

describe('shutdown', () => {
  it('ends ADS, Delta and CSDS streams with UNAVAILABLE, so clients reconnect elsewhere', async () => {
    const x = await startXds();
    x.set(HEALTHY, { [TypeUrl.Cluster]: [cluster('ok')] });
    const sotw = new SotwClient(x.address, { id: HEALTHY });
    const delta = new DeltaClient(x.address, { id: HOSTILE });
    const csds = csdsClient(x.address) as unknown as grpc.Client & {
      StreamClientStatus(): grpc.ClientDuplexStream<unknown, unknown>;
    };
    const status = csds.StreamClientStatus();
    const statusEnded = new Promise<grpc.ServiceError>((resolve) => status.on('error', resolve));
    status.on('data', () => undefined);
    try {
      sotw.send({ type_url: TypeUrl.Cluster });
      await sotw.next();
      delta.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      await delta.next();
      status.write({});
      await x.close();
      await sotw.inbox.closed(5000);
      await delta.inbox.closed(5000);
      assert.equal(sotw.error?.code, grpc.status.UNAVAILABLE, sotw.error?.message);
      assert.equal(delta.error?.code, grpc.status.UNAVAILABLE, delta.error?.message);
      assert.equal((await statusEnded).code, grpc.status.UNAVAILABLE);
    } finally {
      sotw.close();
      delta.close();
      csds.close();
    }
  });
});
