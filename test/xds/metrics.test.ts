import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { TypeUrl } from '../../src/envoy';
import { SotwClient } from '../support/xds-client';
import { cluster } from '../support/resources';
import { startXds, waitFor } from '../support/xds-harness';

const NODE = 'sidecar~10.0.5.1~m.default~default.svc.cluster.local';

describe('xDS metrics', () => {
  it('counts connections, pushes by type, rejections, convergence and config size under Istio names', async () => {
    const x = await startXds();
    const c = new SotwClient(x.address, { id: NODE });
    try {
      x.set(NODE, { [TypeUrl.Cluster]: [cluster('a')] });
      c.send({ type_url: TypeUrl.Cluster });
      c.ack(await c.next());
      x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', '2')] });
      c.ack(await c.next());
      x.set(NODE, { [TypeUrl.Cluster]: [cluster('a', '3')] });
      c.nack(await c.next(), 'no');
      await waitFor(() => !x.server.connections.values().next().value?.busy);
      const text = await x.server.metrics.registry.metrics();
      const value = (re: RegExp) => Number(re.exec(text)?.[1]);
      assert.equal(value(/^pilot_xds\{version="unknown"\} (\d+)/m), 1);
      assert.equal(value(/^pilot_xds_push_time_count\{type="cds"\} (\d+)/m), 3);
      assert.equal(value(/^pilot_xds_pushes\{type="cds"\} (\d+)/m), 3);
      assert.equal(value(/^pilot_total_xds_rejects\{type="cds"\} (\d+)/m), 1);
      assert.equal(value(/^pilot_proxy_convergence_time_count (\d+)/m), 2);
      assert.equal(value(/^pilot_xds_config_size_bytes_count\{type="cds"\} (\d+)/m), 3);
    } finally {
      c.close();
      await x.close();
    }
  });
});
