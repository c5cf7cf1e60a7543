import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import type { ServiceEntry, ServiceEntrySpec } from '../../src/model';
import { formatIp, ipNumber } from '../../src/model/ip-allocation';
import { hashedAddresses, SequentialAllocator, withAddresses } from '../../src/model/ip-allocation-plan';
import { AddressAssigner } from '../../src/watch/address-source';

const se = (
  name: string,
  spec: ServiceEntrySpec,
  extra: { created?: string; status?: { value: string; host: string }[]; labels?: Record<string, string> } = {},
): ServiceEntry => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: {
    name,
    namespace: 'ns',
    ...(extra.created ? { creationTimestamp: extra.created } : {}),
    ...(extra.labels ? { labels: extra.labels } : {}),
  },
  spec: { resolution: 'DNS', ports: [{ number: 80, name: 'http' }], ...spec },
  ...(extra.status ? { status: { addresses: extra.status } } : {}),
});
const summary = (changes: { se: ServiceEntry; addresses: { value: string; host: string }[] }[]) =>
  changes.map((c) => `${c.se.metadata.name}: ${c.addresses.map((a) => `${a.host}=${a.value}`).join(' ')}`);

describe('ServiceEntry IP allocation (ipallocate.go)', () => {
  it('formats addresses as Go netip does', () => {
    for (const s of [
      '240.240.0.1',
      '2001:2::1',
      '2001:2::1:0',
      '2001:db8::',
      '::1',
      '1:0:0:1::1',
      '1::1:0:0:1:1',
      '1:2:3:4:5:6:7:8',
    ]) {
      const a = ipNumber(s);
      assert.ok(a, s);
      assert.equal(formatIp(a.n, a.v6), s);
    }
    const long = ipNumber('2001:0002:0000:0000:0000:0000:0000:000a')!;
    assert.equal(formatIp(long.n, true), '2001:2::a');
    assert.equal(ipNumber('10.0.0.0/8'), undefined);
    assert.equal(ipNumber('256.1.1.1'), undefined);
    // Read as netip.ParseAddr reads it: a leading zero is refused, not taken as decimal.
    assert.equal(ipNumber('240.240.0.010'), undefined);
  });

  it('gives each kept host the next v4 and v6 address, in order of age (allocateNext, keepHost)', () => {
    const a = new SequentialAllocator();
    const got = a.plan([
      se('second', { hosts: ['b.example.com'] }, { created: '2024-01-02T00:00:00Z' }),
      se(
        'first',
        { hosts: ['a.example.com', 'a.example.com', '*.wild.example.com'] },
        { created: '2024-01-01T00:00:00Z' },
      ),
      se('dyn', { hosts: ['*.dyn.example.com'], resolution: 'DYNAMIC_DNS' }, { created: '2024-01-03T00:00:00Z' }),
      se('none', { hosts: ['n.example.com'], resolution: 'NONE' }),
      se('own', { hosts: ['o.example.com'], addresses: ['240.240.0.3'] }),
      se('out', { hosts: ['x.example.com'] }, { labels: { 'networking.istio.io/enable-autoallocate-ip': 'False' } }),
    ]);
    assert.deepEqual(summary(got), [
      // The entry's own 240.240.0.3 is never handed out.
      'first: a.example.com=240.240.0.1 a.example.com=2001:2::1',
      'second: b.example.com=240.240.0.2 b.example.com=2001:2::2',
      'dyn: *.dyn.example.com=240.240.0.4 *.dyn.example.com=2001:2::3',
    ]);
    // The cursor moves on, as istiod's does: the next entry does not reuse a freed slot.
    assert.deepEqual(summary(a.plan([se('later', { hosts: ['l.example.com'] })])), [
      'later: l.example.com=240.240.0.5 l.example.com=2001:2::4',
    ]);
  });

  it('keeps what status holds, adds for new hosts, drops removed ones, clears entries that no longer qualify', () => {
    const status = [
      { host: 'a.example.com', value: '240.240.0.9' },
      { host: 'gone.example.com', value: '240.240.0.10' },
    ];
    const got = new SequentialAllocator().plan([
      se('same', { hosts: ['s.example.com'] }, { status: [{ host: 's.example.com', value: '240.240.0.1' }] }),
      se('grown', { hosts: ['a.example.com', 'b.example.com'] }, { status }),
      se(
        'opted',
        { hosts: ['c.example.com'], resolution: 'NONE' },
        { status: [{ host: 'c.example.com', value: '240.240.0.11' }] },
      ),
    ]);
    assert.deepEqual(summary(got), [
      'grown: a.example.com=240.240.0.9 b.example.com=240.240.0.2 b.example.com=2001:2::1',
      'opted: ',
    ]);
  });

  it('resolves a conflict: the older entry keeps the address, a user-written address beats an allocated one (resolveConflict)', () => {
    const taken = [{ host: 'h', value: '240.240.0.1' }];
    const got = new SequentialAllocator().plan([
      se('young', { hosts: ['h'] }, { created: '2024-01-02T00:00:00Z', status: taken }),
      se('old', { hosts: ['h'] }, { created: '2024-01-01T00:00:00Z', status: taken }),
      se('user', { hosts: ['u'], addresses: ['240.240.0.2'] }, { created: '2024-01-03T00:00:00Z' }),
      se('loser', { hosts: ['l'] }, { created: '2023-01-01T00:00:00Z', status: [{ host: 'l', value: '240.240.0.2' }] }),
    ]);
    assert.deepEqual(summary(got), ['loser: l=240.240.0.3 l=2001:2::1', 'young: h=240.240.0.4 h=2001:2::2']);
  });

  it('derives directory-mode addresses from the entry alone: order of arrival does not matter', () => {
    const a = se('a', { hosts: ['a.example.com'] });
    const b = se('b', { hosts: ['b.example.com', 'c.example.com'] });
    const one = summary(hashedAddresses([a, b]));
    assert.deepEqual(summary(hashedAddresses([b, a])), one);
    assert.deepEqual(summary(hashedAddresses([a])), [one[0]]);
    for (const line of one) assert.match(line, /^\w: (\S+=240\.240\.\d+\.\d+ \S+=2001:2::[0-9a-f]+ ?)+$/);
    // A second entry whose host hashes to a taken slot moves on, in both families.
    const first = hashedAddresses([a])[0]!.addresses;
    const taken = se(
      'taken',
      { hosts: ['t.example.com'] },
      { created: '2000-01-01T00:00:00Z', status: [{ host: 't.example.com', value: first[0]!.value }] },
    );
    const moved = hashedAddresses([a, taken])[0]!.addresses;
    assert.notEqual(moved[0]!.value, first[0]!.value);
    assert.equal(moved.length, 2);
  });

  it('the directory source assigns on the way in and re-sends only entries whose addresses change', () => {
    const assigner = new AddressAssigner();
    const a = se('a', { hosts: ['a.example.com'] });
    const first = assigner.apply([{ op: 'upsert', object: a }]);
    assert.equal(first.length, 1);
    const served = (first[0] as { object: ServiceEntry }).object;
    assert.equal(served.status?.addresses?.length, 2);
    assert.deepEqual(served, withAddresses(a, served.status!.addresses as { value: string; host: string }[]));
    const b = se('b', { hosts: ['b.example.com'] });
    const second = assigner.apply([{ op: 'upsert', object: b }]);
    assert.deepEqual(
      second.map((c) => (c.op === 'upsert' ? c.object.metadata.name : c.name)),
      ['b'],
    );
    assert.deepEqual(assigner.apply([{ op: 'delete', kind: 'ServiceEntry', namespace: 'ns', name: 'a' }]), [
      { op: 'delete', kind: 'ServiceEntry', namespace: 'ns', name: 'a' },
    ]);
  });
});
