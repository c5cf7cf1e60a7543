import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { cidrOf } from '../../src/model/typed';
import { parseRetryOn } from '../../src/model/retry-on';
import { clusterNameParts, inboundVip, outbound } from '../../src/translate/names';

describe('typed readings the translator takes instead of strings', () => {
  it('a checked CIDR gives its address as written and its prefix length', () => {
    assert.deepEqual(cidrOf('10.1.0.0/16'), { address: '10.1.0.0', prefixLen: 16 });
    assert.deepEqual(cidrOf('2001:db8::/48'), { address: '2001:db8::', prefixLen: 48 });
    assert.deepEqual(cidrOf('::ffff:10.0.0.1/128'), { address: '::ffff:10.0.0.1', prefixLen: 128 });
  });

  it('a CIDR that skipped the load checks is a bug, not a guess', () => {
    assert.throws(() => cidrOf('203.0.113.0/24x'), /unchecked input reached the translator: bad CIDR range/);
    assert.throws(() => cidrOf('10.0.0.0/33'), /bad bits after slash/);
  });

  it('retryOn (retry.go: parseRetryOn): known status codes apart from policies, order kept, blanks skipped', () => {
    assert.deepEqual(parseRetryOn(' 5xx, 503 ,,gateway-error,+429,599,retriable-4xx'), {
      policies: ['5xx', 'gateway-error', '599', 'retriable-4xx'],
      codes: [503, 429],
    });
    assert.deepEqual(parseRetryOn(''), { policies: [], codes: [] });
  });

  it('cluster names read back give the port, hostname and subset they were built from', () => {
    assert.deepEqual(clusterNameParts(inboundVip(8080, 'http', 'a.ns.svc.cluster.local', 'v1')), {
      kind: 'inbound-vip',
      port: 8080,
      hostname: 'a.ns.svc.cluster.local',
      subset: 'v1',
    });
    assert.deepEqual(clusterNameParts(outbound(443, 'example.com')), {
      kind: 'outbound',
      port: 443,
      hostname: 'example.com',
      subset: '',
    });
    for (const other of ['UnknownService', 'outbound|80x||h', 'outbound|80||', 'other|80||h', 'outbound|80||h|x'])
      assert.equal(clusterNameParts(other), undefined, other);
  });
});
