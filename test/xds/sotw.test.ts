import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient, type SotwResponse, unpack } from '../support/xds-client';
import { cluster, endpoints, route } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';

const NODE = 'sidecar~10.0.0.1~app-1.default~default.svc.cluster.local';
const names = (r: SotwResponse) =>
  r.resources.map((a) => unpack<{ name?: string; cluster_name?: string }>(a)).map((m) => m.name ?? m.cluster_name);

describe('SotW ADS', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  const clients: SotwClient[] = [];
  const client = () => {
    const c = new SotwClient(x.address, { id: NODE });
    clients.push(c);
    return c;
  };
  before(async () => {
    x = await startXds();
  });
  after(async () => {
    for (const c of clients) c.close();
    await x.close();
  });
  const reset = () =>
    x.set(NODE, { [TypeUrl.Cluster]: [], [TypeUrl.Endpoint]: [], [TypeUrl.Listener]: [], [TypeUrl.Route]: [] });

  it('answers the first request of a type even when the client claims the current version', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a'), cluster('b')] });
    const c1 = client();
    c1.send({ type_url: TypeUrl.Cluster });
    const r1 = await c1.next();
    assert.deepEqual(names(r1), ['a', 'b']);
    c1.ack(r1);
    c1.close();
    // Reconnect claiming the version we already hold: still answered.
    const c2 = client();
    c2.send({ type_url: TypeUrl.Cluster, version_info: r1.version_info });
    const r2 = await c2.next();
    assert.deepEqual(names(r2), ['a', 'b']);
    assert.equal(r2.version_info, r1.version_info);
    assert.equal(r2.control_plane?.identifier, 'istiod-lite');
  });

  it('never answers an ACK, and answers a NACK with nothing until content changes', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')] });
    const c = client();
    c.send({ type_url: TypeUrl.Cluster });
    const r1 = await c.next();
    c.ack(r1);
    await x.quiet(c);
    // A new version arrives and is rejected.
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'v2')] });
    const r2 = await c.next();
    c.nack(r2, 'cluster a: bad config', [], r1.version_info);
    await x.quiet(c);
    // Unrelated pushes of the same content do not re-send the rejected version.
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'v2')] });
    x.server.flushNow();
    await x.quiet(c);
    const nack = x.logs.find((l) => l.msg === 'proxy rejected configuration');
    assert.ok(nack, 'NACK is logged');
    assert.equal(nack.proxy, 'app-1.default');
    assert.deepEqual(nack.resources, ['a']);
    assert.equal(nack.error, 'cluster a: bad config');
    // New content goes out and its ACK clears the error.
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'v3')] });
    const r3 = await c.next();
    assert.notEqual(r3.version_info, r2.version_info);
    c.ack(r3);
  });

  it('ignores a stale nonce but keeps the subscription change it carried', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Route]: [route('r1', 'a'), route('r2', 'b'), route('r3', 'c')] });
    const c = client();
    c.send({ type_url: TypeUrl.Route, resource_names: ['r1'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['r1']);
    // Server sends a newer version before the client answers r1.
    x.set(NODE, { [TypeUrl.Route]: [route('r1', 'a2'), route('r2', 'b'), route('r3', 'c')] });
    c.ack(r1); // settles r1 so the push can go out
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['r1']);
    // A request still answering r1 (stale) adds r2: not answered now...
    c.send({
      type_url: TypeUrl.Route,
      resource_names: ['r1', 'r2'],
      response_nonce: r1.nonce,
      version_info: r1.version_info,
    });
    await x.quiet(c);
    // ...but once the current response is ACKed with the same names, r2 is sent.
    c.ack(r2, ['r1', 'r2']);
    const r3 = await c.next();
    assert.deepEqual(names(r3), ['r2']);
  });

  it('treats CDS/LDS as wildcard: empty first list or "*", and an empty list after naming means none', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a'), cluster('b')], [TypeUrl.Listener]: [] });
    const legacy = client();
    legacy.send({ type_url: TypeUrl.Cluster, resource_names: [] });
    const rl = await legacy.next();
    assert.deepEqual(names(rl), ['a', 'b']);
    legacy.ack(rl);
    const star = client();
    star.send({ type_url: TypeUrl.Cluster, resource_names: ['*'] });
    const rs = await star.next();
    assert.deepEqual(names(rs), ['a', 'b']);
    star.ack(rs, ['*']);
    const named = client();
    named.send({ type_url: TypeUrl.Cluster, resource_names: ['b'] });
    const rn = await named.next();
    assert.deepEqual(names(rn), ['b']);
    named.ack(rn, []);
    await x.quiet(named);
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'x'), cluster('b', 'x')] });
    // The wildcard clients get the change; the one that unsubscribed does not.
    assert.deepEqual(names(await legacy.next()), ['a', 'b']);
    assert.deepEqual(names(await star.next()), ['a', 'b']);
    await x.quiet(named);
  });

  it('treats an empty RDS/EDS list as unsubscribing from everything', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Endpoint]: [endpoints('a', ['10.1.0.1'])] });
    const c = client();
    c.send({ type_url: TypeUrl.Endpoint, resource_names: ['a'] });
    const r = await c.next();
    assert.deepEqual(names(r), ['a']);
    c.ack(r, []);
    await x.quiet(c);
    x.set(NODE, { [TypeUrl.Endpoint]: [endpoints('a', ['10.1.0.2'])] });
    x.server.flushNow();
    await x.quiet(c);
  });

  it('sends the complete set on every CDS response: a missing name is a deletion', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a'), cluster('b'), cluster('c')] });
    const c = client();
    c.send({ type_url: TypeUrl.Cluster });
    const r1 = await c.next();
    c.ack(r1);
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a'), cluster('c', 'v2')] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['a', 'c']);
  });

  it('remembers names that do not exist yet and sends them when they appear', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Route]: [route('r1', 'a')] });
    const c = client();
    c.send({ type_url: TypeUrl.Route, resource_names: ['r1', 'later'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['r1']);
    c.ack(r1, ['r1', 'later']);
    x.set(NODE, { [TypeUrl.Route]: [route('r1', 'a'), route('later', 'b')] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['later']);
  });

  it('pushes CDS, EDS, LDS, RDS in that order, re-sends EDS after CDS, and removes clusters last', async () => {
    reset();
    x.set(NODE, {
      [TypeUrl.Cluster]: [cluster('old')],
      [TypeUrl.Endpoint]: [endpoints('old', ['10.0.0.9'])],
      [TypeUrl.Route]: [route('rt', 'old')],
    });
    const c = client();
    c.send({ type_url: TypeUrl.Cluster });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Endpoint, resource_names: ['old', 'new'] });
    c.ack(await c.next(), ['old', 'new']);
    c.send({ type_url: TypeUrl.Listener });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Route, resource_names: ['rt'] });
    c.ack(await c.next(), ['rt']);
    await x.quiet(c);
    // One change: a new cluster replaces the old one; the route moves over.
    x.set(NODE, {
      [TypeUrl.Cluster]: [cluster('new')],
      [TypeUrl.Endpoint]: [endpoints('new', ['10.0.0.10'])],
      [TypeUrl.Route]: [route('rt', 'new')],
    });
    x.server.flushNow();
    const got: SotwResponse[] = [];
    for (let i = 0; i < 4; i++) got.push(await c.next());
    await x.quiet(c);
    const seq = got.map((r) => `${r.type_url.split('.').pop()}:${names(r).join(',')}`);
    assert.deepEqual(seq, ['Cluster:new,old', 'ClusterLoadAssignment:new', 'RouteConfiguration:rt', 'Cluster:new']);
  });

  it('re-sends unchanged endpoints when their cluster changes', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')], [TypeUrl.Endpoint]: [endpoints('a', ['10.0.0.1'])] });
    const c = client();
    c.send({ type_url: TypeUrl.Cluster });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Endpoint, resource_names: ['a'] });
    const e1 = await c.next();
    c.ack(e1, ['a']);
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', 'v2')] });
    const cds = await c.next();
    assert.equal(cds.type_url, TypeUrl.Cluster);
    const eds = await c.next();
    assert.equal(eds.type_url, TypeUrl.Endpoint);
    assert.deepEqual(names(eds), ['a']);
    assert.deepEqual(eds.resources[0]!.value, e1.resources[0]!.value);
  });

  it('holds pushes until the last one is ACKed and merges them', async () => {
    reset();
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')] });
    const c = client();
    c.send({ type_url: TypeUrl.Cluster });
    c.ack(await c.next());
    x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', '1')] });
    const r1 = await c.next(); // in flight, not ACKed
    for (let i = 2; i <= 6; i++) {
      x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', String(i))] });
      x.server.flushNow();
    }
    await x.quiet(c);
    c.ack(r1);
    const merged = await c.next();
    const svc = unpack<{ eds_cluster_config: { service_name: string } }>(merged.resources[0]!);
    assert.equal(svc.eds_cluster_config.service_name, 'a-6');
    await x.quiet(c);
  });

  it('does not let a client that stops reading delay the others', async () => {
    reset();
    const { bigCluster } = await import('../support/resources');
    const slowNode = 'sidecar~10.0.0.2~slow-1.default~default.svc.cluster.local';
    const slow = new SotwClient(x.address, { id: slowNode });
    clients.push(slow);
    const fast = client();
    x.set(slowNode, { [TypeUrl.Cluster]: [bigCluster('big', 1 << 20)] });
    slow.send({ type_url: TypeUrl.Cluster });
    fast.send({ type_url: TypeUrl.Cluster });
    slow.ack(await slow.next());
    fast.ack(await fast.next());
    slow.pause();
    // Push many large versions at the stalled client and small ones at the other.
    for (let i = 0; i < 20; i++) {
      x.set(slowNode, { [TypeUrl.Cluster]: [bigCluster(`big${i}`, 1 << 20)] });
      x.set(NODE, { [TypeUrl.Cluster]: [cluster(`f${i}`)] });
      x.server.flushNow();
      const r = await fast.next(2000);
      assert.deepEqual(names(r), [`f${i}`]);
      fast.ack(r);
    }
    const conn = [...x.server.connections.values()].find((k) => k.proxy?.proxyId === 'slow-1.default');
    assert.ok(conn?.busy, 'the stalled stream has a push in flight');
    slow.resume();
    // After resuming, the slow client gets the in-flight push then one merged, latest push.
    const got: SotwResponse[] = [];
    for (;;) {
      try {
        const r = await slow.next(500);
        got.push(r);
        slow.ack(r);
      } catch {
        break;
      }
    }
    assert.ok(got.length <= 2, `expected at most 2 responses, got ${got.length}`);
    const last = got[got.length - 1]!;
    assert.deepEqual(
      names(last).map((n) => n?.slice(0, 5)),
      ['big19'],
    );
    await waitFor(() => conn?.busy === false, 2000, 'slow stream to settle');
  });
});
