import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { DeltaClient, type DeltaResponse, unpack } from '../support/xds-client';
import { cluster, endpoints, route } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';

let seq = 0;
const newNode = () => `waypoint~10.0.1.${++seq}~wp-${seq}.default~default.svc.cluster.local`;
const names = (r: DeltaResponse) => r.resources.map((x) => x.name);

async function collect(c: DeltaClient, quietMs = 300): Promise<DeltaResponse[]> {
  const out: DeltaResponse[] = [];
  for (;;) {
    try {
      const r = await c.next(quietMs);
      out.push(r);
      c.ack(r);
    } catch {
      return out;
    }
  }
}

describe('Delta ADS', () => {
  let x: Awaited<ReturnType<typeof startXds>>;
  const clients: DeltaClient[] = [];
  const client = (id: string) => {
    const c = new DeltaClient(x.address, { id });
    clients.push(c);
    return c;
  };
  /** Syncs every cluster of `id` once, ACKs, disconnects: the versions a reconnecting client holds. */
  const syncedAndGone = async (id: string) => {
    const c = client(id);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    const first = await c.next();
    c.ack(first);
    const held = c.heldVersions(TypeUrl.Cluster);
    c.close();
    return { first, held };
  };
  before(async () => {
    x = await startXds();
  });
  after(async () => {
    for (const c of clients) c.close();
    await x.close();
  });

  it('answers the first request even when nothing exists (legacy wildcard)', async () => {
    const id = newNode();
    const c = client(id);
    c.send({ type_url: TypeUrl.Cluster });
    const r = await c.next();
    assert.deepEqual(r.resources, []);
    assert.deepEqual(r.removed_resources, []);
    c.ack(r);
    x.set(id, { [TypeUrl.Cluster]: [cluster('a')] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['a']);
    assert.ok(r2.resources[0]!.version.length > 0);
    assert.equal(unpack<{ name: string }>(r2.resources[0]!.resource!).name, 'a');
  });

  it('subscribes and unsubscribes by name, and ignores unsubscribes of unknown names', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Route]: [route('r1', 'a'), route('r2', 'b')] });
    const c = client(id);
    c.send({ type_url: TypeUrl.Route, subscribe: ['r1'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['r1']);
    c.ack(r1);
    c.send({ type_url: TypeUrl.Route, subscribe: ['r2'] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['r2']);
    c.ack(r2);
    c.send({ type_url: TypeUrl.Route, unsubscribe: ['r1', 'never-heard-of'] });
    await x.quiet(c);
    x.set(id, { [TypeUrl.Route]: [route('r1', 'a2'), route('r2', 'b2')] });
    const r3 = await c.next();
    assert.deepEqual(names(r3), ['r2'], 'only the remaining subscription is pushed');
  });

  it('sends a resource on subscribe even if the client might already hold it', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Route]: [route('r1', 'a')] });
    const c = client(id);
    c.send({ type_url: TypeUrl.Route, subscribe: ['r1'] });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Route, unsubscribe: ['r1'] });
    c.send({ type_url: TypeUrl.Route, subscribe: ['r1'] });
    assert.deepEqual(names(await c.next()), ['r1']);
  });

  it('signals absence and deletion with removed_resources', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Endpoint]: [endpoints('e1', ['10.0.0.1'])] });
    const c = client(id);
    c.send({ type_url: TypeUrl.Endpoint, subscribe: ['e1', 'missing'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['e1']);
    assert.deepEqual(r1.removed_resources, ['missing']);
    c.ack(r1);
    x.set(id, { [TypeUrl.Endpoint]: [endpoints('missing', ['10.0.0.2'])] });
    const got = await collect(c);
    assert.deepEqual(
      got.map((r) => [names(r), r.removed_resources]),
      [[['missing'], ['e1']]],
    );
  });

  it('skips only the resources whose version the reconnecting client still holds', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Cluster]: [cluster('same'), cluster('changes'), cluster('goes')] });
    const { first, held } = await syncedAndGone(id);
    assert.deepEqual(names(first), ['changes', 'goes', 'same']);
    x.set(id, { [TypeUrl.Cluster]: [cluster('same'), cluster('changes', 'v2'), cluster('new')] });
    const c2 = client(id);
    c2.send({ type_url: TypeUrl.Cluster, subscribe: ['*'], initial_resource_versions: held });
    const r = await c2.next();
    assert.deepEqual(names(r), ['changes', 'new']);
    assert.deepEqual(r.removed_resources, ['goes']);
  });

  it('a reconnecting client that claims exactly the current versions is sent none, and later changes reach it', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Cluster]: [cluster('a'), cluster('b')] });
    const { held } = await syncedAndGone(id);
    const c2 = client(id);
    c2.send({ type_url: TypeUrl.Cluster, subscribe: ['*'], initial_resource_versions: held });
    const r = await c2.next();
    assert.deepEqual([names(r), r.removed_resources], [[], []]);
    c2.ack(r);
    x.set(id, { [TypeUrl.Cluster]: [cluster('a', 'v2')] });
    const pushed = await c2.next();
    assert.deepEqual([names(pushed), pushed.removed_resources], [['a'], ['b']]);
  });

  it('accepts claimed names and versions of 128 bytes and more (a map entry is no string: its lengths take two bytes)', async () => {
    const id = newNode();
    // Kubernetes allows 63-character service and namespace names: cluster names pass 128 bytes.
    const long = `outbound|8080||${'s'.repeat(63)}.${'n'.repeat(63)}.svc.cluster.local`;
    x.set(id, { [TypeUrl.Cluster]: [cluster(long), cluster('b')] });
    const { held } = await syncedAndGone(id);
    const c2 = client(id);
    c2.send({
      type_url: TypeUrl.Cluster,
      subscribe: ['*'],
      initial_resource_versions: { ...held, b: 'v'.repeat(200) },
    });
    const r = await c2.next();
    assert.deepEqual([names(r), r.removed_resources], [['b'], []]);
  });

  it('records a NACK, logs it and does not re-push the rejected version', async () => {
    const id = newNode();
    x.set(id, { [TypeUrl.Listener]: [] });
    const c = client(id);
    c.send({ type_url: TypeUrl.Cluster });
    c.ack(await c.next());
    x.set(id, { [TypeUrl.Cluster]: [cluster('bad')] });
    const r = await c.next();
    c.nack(r, 'cluster bad: unknown field');
    await x.quiet(c);
    x.set(id, { [TypeUrl.Cluster]: [cluster('bad')] });
    x.server.flushNow();
    await x.quiet(c);
    const conn = [...x.server.connections.values()].find((k) => k.proxy?.nodeId === id)!;
    assert.equal(conn.states.get(TypeUrl.Cluster)!.status(), 'ERROR');
    const line = x.logs.find((l) => l.msg === 'proxy rejected configuration' && l.proxy === `wp-${seq}.default`);
    assert.ok(line);
    assert.deepEqual(line.resources, ['bad']);
    x.set(id, { [TypeUrl.Cluster]: [cluster('bad', 'fixed')] });
    const fixed = await c.next();
    c.ack(fixed);
    // The ACK travels to the server: wait for the state it sets, not a fixed time.
    await waitFor(() => conn.states.get(TypeUrl.Cluster)!.status() === 'SYNCED', 3000, 'the ACK to mark CDS synced');
  });

  it('orders a push CDS, EDS, LDS, RDS, with removals after in reverse, and re-sends EDS after CDS', async () => {
    const id = newNode();
    const { prepare } = await import('../../src/envoy');
    const listener = (n: string) => prepare('envoy.config.listener.v3.Listener', n, { name: n });
    x.set(id, {
      [TypeUrl.Cluster]: [cluster('keep'), cluster('old')],
      [TypeUrl.Endpoint]: [endpoints('keep', ['10.0.0.1']), endpoints('old', ['10.0.0.2'])],
      [TypeUrl.Listener]: [listener('l1')],
      [TypeUrl.Route]: [route('rt', 'old'), route('gone', 'old')],
    });
    const c = client(id);
    c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Endpoint, subscribe: ['keep', 'old', 'new'] });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Listener, subscribe: ['*'] });
    c.ack(await c.next());
    c.send({ type_url: TypeUrl.Route, subscribe: ['rt', 'gone'] });
    c.ack(await c.next());
    x.set(id, {
      [TypeUrl.Cluster]: [cluster('keep', 'v2'), cluster('new')],
      [TypeUrl.Endpoint]: [endpoints('keep', ['10.0.0.1']), endpoints('new', ['10.0.0.3'])],
      [TypeUrl.Listener]: [listener('l1')],
      [TypeUrl.Route]: [route('rt', 'new')],
    });
    const got = await collect(c);
    const short = (r: DeltaResponse) =>
      `${r.type_url.split('.').pop()}:+${names(r).join(',')}` +
      (r.removed_resources.length ? `-${r.removed_resources.join(',')}` : '');
    assert.deepEqual(got.map(short), [
      'Cluster:+keep,new',
      'ClusterLoadAssignment:+keep,new',
      // The last type in the push carries its removals in the same response.
      'RouteConfiguration:+rt-gone',
      'ClusterLoadAssignment:+-old',
      'Cluster:+-old',
    ]);
  });
});
