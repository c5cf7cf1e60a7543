import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { adsChannel, DeltaClient } from '../support/xds-client';
import { cluster } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';
import { settledHeap } from '../support/settled-heap';

describe('stream lifecycle', () => {
  it('returns to the starting state after 1,000 streams open and close with pushes in flight', async () => {
    const x = await startXds({ logger: undefined });
    const channel = adsChannel(x.address);
    const keys = Array.from({ length: 20 }, (_, i) => `waypoint~10.9.0.${i}~wp-${i}.ns~ns.svc.cluster.local`);
    for (const k of keys) x.set(k, { [TypeUrl.Cluster]: [cluster(`c-${k}`)] });

    let version = 0;
    async function round(n: number) {
      const clients = Array.from(
        { length: n },
        (_, i) => new DeltaClient(x.address, { id: keys[i % keys.length]! }, {}, channel),
      );
      for (const c of clients) c.send({ type_url: TypeUrl.Cluster, subscribe: ['*'] });
      await Promise.all(clients.map((c) => c.next(10_000)));
      // New content for everyone; nobody ACKs, so pushes stay queued or in flight.
      version++;
      for (const k of keys) x.set(k, { [TypeUrl.Cluster]: [cluster(`c-${k}`, String(version))] });
      x.server.flushNow();
      for (const c of clients) c.close();
      await waitFor(() => x.server.connections.size === 0, 10_000, 'all streams to close');
    }

    await round(100); // warm-up: lazy allocations, JIT
    const baseline = await settledHeap();
    for (let i = 0; i < 10; i++) await round(100);
    const end = await settledHeap();

    assert.equal(x.server.connections.size, 0);
    const gauge = await x.server.metrics.connected.get();
    assert.ok(
      gauge.values.every((v) => v.value === 0),
      'pilot_xds back to 0',
    );
    const growth = end - baseline;
    assert.ok(growth < 3 * 1024 * 1024, `heap grew by ${(growth / 1024).toFixed(0)} KiB over 1,000 streams`);
    channel.close();
    await x.close();
  });
});
