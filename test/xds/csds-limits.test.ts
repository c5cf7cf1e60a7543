// CSDS node matchers are chosen by the caller; before these limits 64
// matchers of `(.*)`×250 against 5 proxies blocked the server for 12 s.
import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { TypeUrl } from '../../src/envoy';
import { namespaceAccess } from '../../src/xds';
import { DEFAULT_MATCH_LIMITS, MatchBudgetError, selectNodes } from '../../src/xds/node-match';
import type { Connection } from '../../src/xds/connection';
import { cluster } from '../support/resources';
import { adsChannel, csdsClient, SotwClient } from '../support/xds-client';
import { startXds, waitFor } from '../support/xds-harness';
import { headerAuthenticator, metadataOf, watchLoop } from '../support/loop-lag';

const HEALTHY = 'waypoint~10.0.8.1~wp-ok.ns1~ns1.svc.cluster.local';
const LOOP_BOUND_MS = 1500;

interface Status {
  config: { node: { id: string } }[];
}
type Fetch = (req: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: Status) => void) => void;

function fetchStatus(address: string, req: unknown, headers: Record<string, string> = {}): Promise<Status> {
  const client = csdsClient(address);
  const fetch = (client.FetchClientStatus as unknown as Fetch).bind(client);
  return new Promise<Status>((resolve, reject) =>
    fetch(req, metadataOf(headers), (err, res) => (err ? reject(err) : resolve(res))),
  ).finally(() => client.close());
}

const regex = (r: string) => ({ node_id: { safe_regex: { regex: r } } });

describe('CSDS node matching limits', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  let authed: string;
  let healthy: SotwClient;
  const proxies: SotwClient[] = [];
  let channel: grpc.Client;
  before(async () => {
    x = await startXds({ access: namespaceAccess('istio-system') });
    authed = `127.0.0.1:${await x.server.listen('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), {
      authenticators: [headerAuthenticator],
    })}`;
    x.set(HEALTHY, { [TypeUrl.Cluster]: [cluster('ok')] });
    healthy = new SotwClient(x.address, { id: HEALTHY });
    healthy.send({ type_url: TypeUrl.Cluster });
    healthy.ack(await healthy.next());
    channel = adsChannel(x.address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
    // Four more ordinary proxies, as in the attack measured, and one in its own namespace.
    const ids = [
      ...Array.from(
        { length: 4 },
        (_, i) => `waypoint~10.0.8.${10 + i}~wp-${i}-5d8f9c7b6-abcde.ns1~ns1.svc.cluster.local`,
      ),
      'waypoint~10.0.9.1~wp-mine-5d8f9c7b6-abcde.mine~mine.svc.cluster.local',
    ];
    // And a crowd with long (but allowed) node ids in a namespace the scoped caller may not see.
    for (let i = 0; i < 100; i++)
      ids.push(`waypoint~10.1.0.${i}~crowd-${i}-${'a'.repeat(1900)}.crowd~crowd.svc.cluster.local`);
    for (const id of ids) {
      const c = new SotwClient(x.address, { id }, {}, channel);
      c.send({ type_url: TypeUrl.Cluster });
      proxies.push(c);
    }
    await waitFor(() => x.server.syncz().length === ids.length + 1, 10_000, 'every proxy connected');
  });
  after(async () => {
    for (const c of [healthy, ...proxies]) c.close();
    channel.close();
    await x.close();
  });

  async function stillServed(version: string) {
    x.set(HEALTHY, { [TypeUrl.Cluster]: [cluster('ok', version)] });
    const r = await healthy.next(5000);
    assert.equal(r.resources.length, 1, 'the healthy proxy got its push');
    healthy.ack(r);
  }

  it('refuses 64 matchers of (.*)×250 at once, on the plaintext port and as a namespace identity', async () => {
    const loop = watchLoop();
    const attack = { node_matchers: Array.from({ length: 64 }, () => regex('(.*)'.repeat(250))) };
    for (const [address, headers] of [
      [x.address, {}],
      [authed, { 'x-test-ns': 'ns1' }],
    ] as const) {
      for (let i = 0; i < 10; i++) {
        await assert.rejects(fetchStatus(address, attack, headers), (e: grpc.ServiceError) => {
          assert.equal(e.code, grpc.status.INVALID_ARGUMENT);
          assert.match(e.details, /node_id regex is 1000 characters; the limit is 256/);
          return true;
        });
      }
    }
    await stillServed('after-long-patterns');
    assert.ok(loop.stop() < LOOP_BOUND_MS, 'the event loop stayed responsive');
  });

  it('refuses matchers within the pattern limits whose total work is over budget, before matching', async () => {
    const loop = watchLoop();
    // 16 capture groups in 64 characters: allowed alone, too much 64 times over 110 proxies.
    const heavy = { node_matchers: Array.from({ length: 64 }, () => regex('(.*)'.repeat(16))) };
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => fetchStatus(x.address, heavy)));
    for (const r of results) {
      assert.equal(r.status, 'rejected');
      const e = (r as PromiseRejectedResult).reason as grpc.ServiceError;
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      assert.match(e.details, /would take about \d+ steps; the limit is 2000000/);
    }
    await stillServed('after-heavy-matchers');
    // An ordinary request is still answered.
    const ok = await fetchStatus(x.address, { node_matchers: [{ node_id: { prefix: 'waypoint~10.0.8.1~' } }] });
    assert.deepEqual(
      ok.config.map((c) => c.node.id),
      ['wp-ok.ns1'],
    );
    assert.ok(loop.stop() < LOOP_BOUND_MS, 'the event loop stayed responsive');
  });

  it('matches a namespace identity only against its own namespace, so the crowd costs it nothing', async () => {
    const req = { node_matchers: Array.from({ length: 8 }, () => regex('[a-z0-9~.-]*mine[a-z0-9~.-]*')) };
    // The control plane's namespace sees everyone, so the same request is over budget for it...
    await assert.rejects(fetchStatus(authed, req, { 'x-test-ns': 'istio-system' }), (e: grpc.ServiceError) => {
      assert.equal(e.code, grpc.status.RESOURCE_EXHAUSTED);
      return true;
    });
    // ...while the namespace's own identity is answered with only its proxy.
    const mine = await fetchStatus(authed, req, { 'x-test-ns': 'mine' });
    assert.deepEqual(
      mine.config.map((c) => c.node.id),
      ['wp-mine-5d8f9c7b6-abcde.mine'],
    );
    const crowd = await fetchStatus(authed, { node_matchers: [regex('.*')] }, { 'x-test-ns': 'ns1' });
    assert.ok(
      crowd.config.every((c) => c.node.id.endsWith('.ns1')),
      'a namespace identity never sees another namespace',
    );
  });
});

describe('selectNodes', () => {
  // Matchers as the decoder yields them: the oneof says which field is set.
  const m = (node_id: Record<string, unknown>) =>
    [{ node_id, node_metadatas: [] }] as unknown as Parameters<typeof selectNodes>[0];
  const re = (r: string) => m({ match_pattern: 'safe_regex', safe_regex: { regex: r } });
  const conn = (id: string) => ({ proxy: { nodeId: id, proxyId: id } }) as unknown as Connection;
  it('refuses a pattern with more capture groups than the limit', () => {
    assert.throws(() => selectNodes(re('(a)'.repeat(17)), [conn('a')]), /17 capture groups; the limit is 16/);
  });
  it('stops at the deadline even when the estimate allowed the work', () => {
    let t = 0;
    const now = () => (t += 100);
    const conns = Array.from({ length: 10 }, (_, i) => conn(`p${i}`));
    assert.throws(
      () => selectNodes(re('p.*'), conns, { ...DEFAULT_MATCH_LIMITS, deadlineMs: 250 }, now),
      (e: unknown) => e instanceof MatchBudgetError && /ran past 250 ms/.test(e.message),
    );
  });
  it('matches either the raw node id or <pod>.<ns>', () => {
    const c = { proxy: { nodeId: 'waypoint~1~wp.ns~ns.svc', proxyId: 'wp.ns' } } as unknown as Connection;
    assert.equal(selectNodes(m({ match_pattern: 'exact', exact: 'wp.ns' }), [c]).length, 1);
    assert.equal(selectNodes(re('waypoint~.*'), [c]).length, 1);
    assert.equal(selectNodes(re('wp'), [c]).length, 0, 'a regex must match the whole id');
  });
});
