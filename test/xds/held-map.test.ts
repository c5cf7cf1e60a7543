import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeUrl, type PreparedResource } from '../../src/envoy';
import { ClaimedVersions } from '../../src/xds/claimed-versions';
import { HeldMap, NamePool, NameSet } from '../../src/xds/type-state';
import { DeltaConnection } from '../../src/xds/delta';
import { cluster, endpoints } from '../support/resources';
import { adsChannel, DeltaClient, type DeltaResponse } from '../support/xds-client';
import { startXds, waitFor } from '../support/xds-harness';

const mapOf = (...rs: PreparedResource[]) => new Map(rs.map((r) => [r.name, r]));

describe('HeldMap', () => {
  const a = cluster('a', '1');
  const b = cluster('b', '1');
  const c = cluster('c', '1');
  const a2 = cluster('a', '2');

  it('shares the current map when it would hold exactly that, and copies before it differs', () => {
    const current = mapOf(a, b);
    const h = new HeldMap();
    h.update([a, b], [], current);
    assert.ok(h.isShared);
    assert.equal(h.get('a'), a);
    assert.deepEqual([...h.keys()], ['a', 'b']);
    h.set('a', a); // what it holds already: still shared
    assert.ok(h.isShared);
    h.set('a', { version: 'old' });
    assert.ok(!h.isShared);
    assert.equal(current.get('a'), a, 'the shared map is never written to');
    assert.deepEqual(h.get('a'), { version: 'old' });
    h.update([a], [], current);
    assert.ok(h.isShared, 'back in sync, shared again');
    assert.ok(h.delete('b'));
    assert.ok(!h.isShared);
    assert.equal(current.size, 2);
    assert.equal(h.size, 1);
    assert.ok(!h.delete('zz'));
  });

  it('moves to the next map when a change brings it level, with updates and removals', () => {
    const h = new HeldMap();
    h.update([a, b], [], mapOf(a, b));
    const next = mapOf(a2, c);
    h.update([a2, c], ['b'], next);
    assert.ok(h.isShared);
    assert.deepEqual(
      [...h].map(([n, r]) => [n, r.version]),
      [
        ['a', a2.version],
        ['c', c.version],
      ],
    );
    // Holding less than the map (a subscription to some names) is its own copy.
    const h2 = new HeldMap();
    h2.update([a2], [], next);
    assert.ok(!h2.isShared);
    assert.equal(h2.size, 1);
    // So is holding more than it, or a different version.
    const h3 = new HeldMap();
    h3.update([a2, b, c], [], next);
    assert.ok(!h3.isShared);
    const h4 = new HeldMap();
    h4.update([a, c], [], next);
    assert.ok(!h4.isShared);
    h4.clear();
    assert.equal(h4.size, 0);
    // A name both sent and removed ends up removed.
    const h5 = new HeldMap();
    h5.update([a2, c], ['c'], mapOf(a2));
    assert.ok(h5.isShared);
    const h6 = new HeldMap();
    h6.update([a2, c], ['c'], next);
    assert.ok(!h6.isShared);
    assert.deepEqual([...h6.keys()], ['a']);
  });
});

describe('HeldMap.claimCurrent (a Delta reconnect claiming versions)', () => {
  const a = cluster('a', '1');
  const b = cluster('b', '1');

  it('shares the current map only when the claim is exactly it, and otherwise leaves the map untouched', () => {
    const current = mapOf(a, b);
    const exact = new HeldMap();
    assert.ok(exact.claimCurrent(ClaimedVersions.fromRecord({ a: a.version, b: b.version }), current));
    assert.ok(exact.isShared);
    assert.equal(exact.get('b'), b);
    for (const claim of <Record<string, string>[]>[
      { a: a.version }, // less than the map
      { a: a.version, b: 'old' }, // a version the cache no longer has
      { a: a.version, b: b.version, c: '1' }, // more than the map
      {},
    ]) {
      const h = new HeldMap();
      assert.ok(!h.claimCurrent(ClaimedVersions.fromRecord(claim), current), JSON.stringify(claim));
      assert.equal(h.size, 0);
    }
    // A stream that already holds something is not replaced by a claim.
    const busy = new HeldMap();
    busy.set('a', { version: 'x' });
    assert.ok(!busy.claimCurrent(ClaimedVersions.fromRecord({ a: a.version, b: b.version }), current));
    assert.deepEqual(busy.get('a'), { version: 'x' });
  });
});

describe('NameSet and NamePool', () => {
  const setOf = (...names: string[]) => {
    const s = new NameSet();
    for (const n of names) s.add(n);
    return s;
  };

  it('gives streams of one key asking for the same names one set, copied when one changes', () => {
    const pool = new NamePool();
    const a = setOf('x', 'y');
    const b = setOf('y', 'x');
    const other = setOf('x', 'y');
    pool.intern('k', 'eds', a);
    pool.intern('k', 'eds', b);
    pool.intern('k2', 'eds', other);
    assert.equal(b.freeze(), a.freeze(), 'b shares a’s set');
    assert.notEqual(other.freeze(), a.freeze(), 'another key keeps its own');
    b.delete('y');
    assert.deepEqual([...b], ['x']);
    assert.deepEqual([...a].sort(), ['x', 'y'], 'a change to one copies it first');
    b.add('y');
    assert.ok(b.sameAs(a.freeze()));
    pool.intern('k', 'eds', b);
    const c = setOf('x');
    pool.intern('k', 'eds', c);
    assert.ok(!c.sameAs(a.freeze()));
    a.clear();
    assert.equal(a.size, 0);
    assert.ok(!a.has('x'));
    assert.equal(b.size, 2);
  });
});

describe('held versions shared by streams in sync', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  const clients: DeltaClient[] = [];
  const key = 'waypoint~10.0.6.1~wp.default~default.svc.cluster.local';
  before(async () => {
    // Every stream maps to one key, as the replicas of one waypoint do.
    x = await startXds({ proxyKey: () => key });
  });
  after(async () => {
    for (const c of clients) c.close();
    await x.close();
  });

  const delta = () =>
    [...x.server.connections.values()].filter((c): c is DeltaConnection => c instanceof DeltaConnection);
  const ackAll = async (streams: DeltaClient[]) => {
    const got: DeltaResponse[] = [];
    for (const s of streams) {
      const r = await s.next(10_000);
      s.ack(r);
      got.push(r);
    }
    return got;
  };
  const allAcked = () =>
    x.server
      .syncz()
      .every((cfg) =>
        (cfg.generic_xds_configs ?? [])
          .filter((t) => t.type_url === TypeUrl.Cluster || t.type_url === TypeUrl.Endpoint)
          .every((t) => t.config_status === 'SYNCED'),
      );

  it('keeps one map for every stream holding the current config, and a copy for one that differs', async () => {
    x.set(key, {
      [TypeUrl.Cluster]: [cluster('a', '1'), cluster('b', '1')],
      [TypeUrl.Endpoint]: [endpoints('a', ['10.0.0.1']), endpoints('b', ['10.0.0.2'])],
    });
    const channel = adsChannel(x.address);
    const streams = Array.from({ length: 10 }, (_, i) => {
      const c = new DeltaClient(
        x.address,
        { id: `waypoint~10.0.6.${i + 10}~wp-${i}.default~default.svc.cluster.local` },
        undefined,
        channel,
      );
      clients.push(c);
      return c;
    });
    for (const s of streams) s.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    await ackAll(streams);
    for (const s of streams) s.send({ type_url: TypeUrl.Endpoint, subscribe: ['a', 'b'] });
    await ackAll(streams);
    await waitFor(allAcked, 5000, 'every stream to ACK');
    const current = {
      cds: x.cache.get(key, TypeUrl.Cluster),
      eds: x.cache.get(key, TypeUrl.Endpoint),
    };
    const names = delta()[0]!.states.get(TypeUrl.Endpoint)!.names.freeze();
    for (const c of delta()) {
      assert.ok(c.states.get(TypeUrl.Cluster)!.held.isShared);
      assert.ok(c.states.get(TypeUrl.Endpoint)!.held.isShared);
      assert.equal(c.states.get(TypeUrl.Endpoint)!.names.freeze(), names, 'one subscription set for every stream');
    }

    // A change: every stream gets only what changed, then shares the new map.
    x.set(key, {
      [TypeUrl.Cluster]: [cluster('a', '1'), cluster('b', '2')],
      [TypeUrl.Endpoint]: [endpoints('a', ['10.0.0.1']), endpoints('b', ['10.0.0.3'])],
    });
    x.server.flushNow();
    for (const r of await ackAll(streams))
      assert.deepEqual(
        r.resources.map((res) => res.name),
        ['b'],
      );
    for (const r of await ackAll(streams)) assert.equal(r.type_url, TypeUrl.Endpoint);
    await waitFor(allAcked, 5000, 'every stream to ACK the change');
    assert.notEqual(x.cache.get(key, TypeUrl.Cluster), current.cds);
    for (const c of delta()) assert.ok(c.states.get(TypeUrl.Endpoint)!.held.isShared);

    // One stream drops a name: it keeps its own copy; the cache's map is untouched.
    const eds = x.cache.get(key, TypeUrl.Endpoint);
    streams[0]!.send({ type_url: TypeUrl.Endpoint, unsubscribe: ['b'] });
    await waitFor(
      () => delta().some((c) => !c.states.get(TypeUrl.Endpoint)!.held.isShared),
      5000,
      'the unsubscribe to be handled',
    );
    assert.equal(eds.size, 2);
    assert.equal(delta().filter((c) => !c.states.get(TypeUrl.Endpoint)!.held.isShared).length, 1);
    // It still gets changes to what it holds, and nothing for what it dropped.
    x.set(key, {
      [TypeUrl.Endpoint]: [endpoints('a', ['10.0.0.9']), endpoints('b', ['10.0.0.3'])],
    });
    x.server.flushNow();
    const got = await ackAll(streams);
    for (const r of got)
      assert.deepEqual(
        r.resources.map((res) => res.name),
        ['a'],
      );
    const own = delta().find((c) => !c.states.get(TypeUrl.Endpoint)!.held.isShared)!;
    assert.deepEqual([...own.states.get(TypeUrl.Endpoint)!.held.keys()], ['a']);
    assert.deepEqual([...own.states.get(TypeUrl.Endpoint)!.names], ['a']);
    assert.deepEqual([...names].sort(), ['a', 'b'], 'the others keep their subscription');
    assert.equal(own.states.get(TypeUrl.Endpoint)!.held.get('a'), x.cache.get(key, TypeUrl.Endpoint).get('a'));
    await waitFor(allAcked, 5000, 'every stream to ACK');
    // syncz reports each stream on its own.
    assert.equal(x.server.syncz().length, 10);
  });
});
