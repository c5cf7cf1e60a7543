import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeMessage, PUSH_ORDER, verifyTypeUrls, prepare, TypeUrl } from '../../src/envoy';

describe('proto registry', () => {
  it('resolves every type URL we serve', () => {
    verifyTypeUrls();
    assert.equal(PUSH_ORDER[0], TypeUrl.Cluster);
  });

  it('fails with a message naming a type URL that does not resolve', () => {
    assert.throws(() => verifyTypeUrls(['type.googleapis.com/envoy.config.cluster.v3.Clusterr']), /Clusterr/);
  });

  it('gives equal content an equal version and round-trips through the real message', () => {
    const a = prepare('envoy.config.cluster.v3.Cluster', 'c', { name: 'c', type: 'STATIC' });
    const b = prepare('envoy.config.cluster.v3.Cluster', 'c', { name: 'c', type: 'STATIC' });
    const c = prepare('envoy.config.cluster.v3.Cluster', 'c', { name: 'c', type: 'EDS' });
    assert.equal(a.version, b.version);
    assert.notEqual(a.version, c.version);
    assert.equal(decodeMessage('envoy.config.cluster.v3.Cluster', a.body).type, 'STATIC');
  });
});
