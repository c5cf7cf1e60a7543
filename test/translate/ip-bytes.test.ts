// Addresses in the workload API: right bytes, and memory of their own, since a
// Workload message outlives the allocations around it (see ip-bytes.ts).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ipBytes } from '../../src/translate/workload-api/ip-bytes';

describe('ipBytes', () => {
  it('encodes IPv4 and IPv6 addresses', () => {
    assert.deepEqual([...ipBytes('10.251.3.7')], [10, 251, 3, 7]);
    assert.equal(ipBytes('fd00::1').toString('hex'), 'fd000000000000000000000000000001');
    assert.equal(ipBytes('2001:db8:0:0:1:0:0:2').toString('hex'), '20010db8000000000001000000000002');
  });

  it('never returns a slice of the shared Buffer pool', () => {
    for (const ip of ['10.0.0.1', '192.168.1.20', 'fd00::5']) {
      const b = ipBytes(ip);
      assert.equal(b.byteOffset, 0, ip);
      assert.equal(b.buffer.byteLength, b.length, `${ip}: backing store is the address alone`);
    }
  });
});
