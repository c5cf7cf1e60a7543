import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage, TypeUrl, type PreparedResource } from '../../src/envoy';
import { ClaimedVersions } from '../../src/xds/claimed-versions';
import { decodeDeltaFast, decodeDeltaRequest } from '../../src/xds/delta-request';
import type { DeltaRequest } from '../../src/xds/request';
import { mutate, rng } from '../support/fuzz';

// The wire decoder of Delta requests must give what protobufjs gives (after
// the wire check every request from the network goes through), and refuse
// what it refuses with the same message, for valid requests and mangled ones.

type Outcome = { ok: unknown } | { err: string };

function viaProtobufjs(bytes: Buffer): Outcome {
  try {
    const d = decodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', bytes);
    const v = d.initial_resource_versions ?? {};
    return {
      ok: {
        node: d.node,
        type_url: d.type_url,
        subscribe: d.resource_names_subscribe,
        unsubscribe: d.resource_names_unsubscribe,
        versions: Object.keys(v).map((k) => [k, v[k]]),
        nonce: d.response_nonce,
        error_detail: d.error_detail,
      },
    };
  } catch (e) {
    return { err: `malformed DeltaDiscoveryRequest: ${(e as Error).message}` };
  }
}

function plain(r: DeltaRequest): unknown {
  const claimed = r.initial_resource_versions;
  return {
    node: r.node,
    type_url: r.type_url,
    subscribe: r.resource_names_subscribe,
    unsubscribe: r.resource_names_unsubscribe,
    versions: [...claimed.names()].map((n) => [n, claimed.version(n)]),
    nonce: r.response_nonce,
    error_detail: r.error_detail,
  };
}

function viaWire(bytes: Buffer): Outcome {
  try {
    return { ok: plain(decodeDeltaRequest(bytes)) };
  } catch (e) {
    return { err: (e as Error).message };
  }
}

/** Every claimed version compares equal to itself and to nothing else, as the cache check uses it. */
function checkComparisons(claimed: ClaimedVersions): void {
  for (const n of claimed.names()) {
    const v = claimed.version(n)!;
    assert.ok(claimed.holds(n, v), `${n} holds ${v}`);
    assert.ok(!claimed.holds(n, `${v}x`));
    assert.ok(!claimed.holds(n, v.slice(0, -1)) || v === '');
    const current = new Map<string, PreparedResource>();
    for (const m of claimed.names())
      current.set(m, { name: m, version: claimed.version(m)! } as unknown as PreparedResource);
    assert.ok(claimed.isExactly(current));
    current.set(n, { name: n, version: `${v}.` } as unknown as PreparedResource);
    assert.ok(!claimed.isExactly(current));
  }
}

const NAMES = [
  'outbound|80||a.default.svc.cluster.local',
  'inbound-vip|8080|http|b.ns.svc.cluster.local',
  'main_internal',
  '',
  '7-starts-with-a-digit',
  '0',
  '__proto__',
  'constructor',
  'näme-ü',
  '名前',
  'x'.repeat(200),
];
const VERSIONS = ['', 'a1b2c3d4e5f60718', '2026-12-05T00:00:00Z/42', 'vé', '版本', 'v'.repeat(130)];

function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function request(r: () => number): Buffer {
  const versions: Record<string, string> = {};
  const claims = r() < 0.3 ? 0 : Math.floor(r() * 24);
  for (let i = 0; i < claims; i++) {
    const name = r() < 0.93 ? `outbound|${i}||s${Math.floor(r() * 9)}.ns.svc.cluster.local` : pick(r, NAMES);
    // A plain `versions[name] =` would make '__proto__' the prototype.
    Object.defineProperty(versions, name, {
      value: pick(r, VERSIONS),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  const msg = {
    ...(r() < 0.4
      ? {
          node: {
            id: `waypoint~10.0.0.${Math.floor(r() * 255)}~wp-${Math.floor(r() * 9)}.ns~ns.svc.cluster.local`,
            cluster: r() < 0.5 ? 'wp.ns' : '',
            locality: r() < 0.3 ? { region: 'r', zone: 'z' } : undefined,
            metadata:
              r() < 0.7
                ? {
                    fields: {
                      NAMESPACE: { stringValue: 'ns' },
                      LABELS: { structValue: { fields: { app: { stringValue: 'wp' } } } },
                    },
                  }
                : undefined,
          },
        }
      : {}),
    type_url: r() < 0.9 ? pick(r, [TypeUrl.Cluster, TypeUrl.Endpoint, TypeUrl.Listener, TypeUrl.Route]) : 'tÿpe',
    resource_names_subscribe: Array.from({ length: Math.floor(r() * 4) }, () => pick(r, NAMES)),
    resource_names_unsubscribe: Array.from({ length: r() < 0.8 ? 0 : 2 }, () => pick(r, NAMES)),
    initial_resource_versions: versions,
    response_nonce: r() < 0.5 ? '' : `${Math.floor(r() * 1e6)}`,
    ...(r() < 0.1 ? { error_detail: { code: 3, message: 'rejected: bad cluster' } } : {}),
    ...(r() < 0.05 ? { resource_locators_subscribe: [{ name: 'loc' }] } : {}),
  };
  return encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', msg);
}

/** Mangles bytes in the ways a wire reader can get wrong: UTF-8, tags, lengths, varint forms. */
function mangle(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  const at = Math.floor(r() * Math.max(1, out.length));
  switch (Math.floor(r() * 6)) {
    case 0:
      return mutate(b, r);
    case 1: {
      // invalid or unusual UTF-8 bytes over a string's content
      const seq = pick(r, [
        [0xff],
        [0xc0, 0x80],
        [0xed, 0xa0, 0x80],
        [0xe2, 0x82],
        [0xf4, 0x90, 0x80, 0x80],
        [0xef, 0xbb, 0xbf],
      ]);
      if (out.length > seq.length) out.set(seq, Math.min(at, out.length - seq.length));
      return out;
    }
    case 2: // another wire type on a tag
      out[at] = ((out[at] ?? 0) & ~7) | Math.floor(r() * 8);
      return out;
    case 3: // a length one off
      out[at] = ((out[at] ?? 0) + (r() < 0.5 ? 1 : 255)) & 0xff;
      return out;
    case 4: // a field the decoder may not read: an unknown one, a locator, a repeated node, an error
      return Buffer.concat([
        b,
        pick(r, [
          Buffer.from([0x50, 0x01]),
          Buffer.from([0x42, 0x02, 0x0a, 0x00]),
          Buffer.from([0x0a, 0x02, 0x0a, 0x00]),
          Buffer.from([0x3a, 0x02, 0x08, 0x03]),
          Buffer.from([0x12, 0x81, 0x00]),
          Buffer.from([0x92, 0x00, 0x00]),
        ]),
      ]);
    default: // a hand-made map entry: fields out of order, missing or repeated, or unknown
      return Buffer.concat([
        b,
        pick(r, [
          Buffer.from([0x2a, 0x06, 0x12, 0x01, 0x76, 0x0a, 0x01, 0x6e]),
          Buffer.from([0x2a, 0x03, 0x12, 0x01, 0x76]),
          Buffer.from([0x2a, 0x03, 0x0a, 0x01, 0x6e]),
          Buffer.from([0x2a, 0x00]),
          Buffer.from([0x2a, 0x06, 0x0a, 0x01, 0x6e, 0x0a, 0x01, 0x6d]),
          Buffer.from([0x2a, 0x05, 0x0a, 0x01, 0x6e, 0x18, 0x01]),
          Buffer.from([0x2a, 0x03, 0x08, 0x01, 0x00]),
          Buffer.from([0x2a, 0x04, 0x0a, 0x82, 0x00, 0x00]),
          Buffer.from([0x2a, 0x04, 0x12, 0x02, 0xff, 0xfe]),
        ]),
      ]);
  }
}

describe('Delta requests read from the wire', () => {
  it('gives what protobufjs gives for 4,000 valid requests, most of them without it', () => {
    const r = rng(20261206);
    let fast = 0;
    for (let i = 0; i < 4000; i++) {
      // Two requests back to back are one request with repeated fields (map entries, node, strings).
      const bytes = r() < 0.2 ? Buffer.concat([request(r), request(r)]) : request(r);
      const want = viaProtobufjs(bytes);
      assert.ok('ok' in want, `case ${i} is valid`);
      assert.deepStrictEqual(viaWire(bytes), want, `case ${i}: ${bytes.toString('hex')}`);
      const read = decodeDeltaFast(bytes);
      if (read) {
        fast++;
        assert.deepStrictEqual({ ok: plain(read) }, want, `case ${i}`);
        checkComparisons(read.initial_resource_versions);
      }
    }
    assert.ok(fast > 2000, `${fast} of 4,000 read from the wire`);
  });

  it('refuses what protobufjs refuses, with the same message, and otherwise agrees, on 8,000 mangled requests', () => {
    const r = rng(61202026);
    let refused = 0;
    let fastOnMangled = 0;
    for (let i = 0; i < 8000; i++) {
      const bytes = mangle(request(r), r);
      const want = viaProtobufjs(bytes);
      const got = viaWire(bytes);
      assert.deepStrictEqual(got, want, `case ${i}: ${bytes.toString('hex')}`);
      if ('err' in want) refused++;
      else if (decodeDeltaFast(bytes)) fastOnMangled++;
    }
    // The mangling must reach both sides: refusals and odd but valid requests read from the wire.
    assert.ok(refused > 1000, `${refused} refused`);
    assert.ok(fastOnMangled > 500, `${fastOnMangled} odd requests read from the wire`);
  });

  it('holds each claimed name and version to UTF-8 and its wire type, and not the entry around them', () => {
    const entry = (...fields: number[][]) => {
      const body = Buffer.from(fields.flat());
      return Buffer.concat([Buffer.from([0x12, 0x01, 0x74, 0x2a, body.length]), body]);
    };
    const refusal = (bytes: Buffer) => {
      const got = viaWire(bytes);
      assert.deepStrictEqual(got, viaProtobufjs(bytes));
      return 'err' in got ? got.err : '';
    };
    assert.match(
      refusal(entry([0x0a, 0x01, 0xff], [0x12, 0x01, 0x76])),
      /initial_resource_versions\.key: not valid UTF-8/,
    );
    assert.match(
      refusal(entry([0x0a, 0x01, 0x6e], [0x12, 0x02, 0xc0, 0x80])),
      /initial_resource_versions\.value: not valid UTF-8/,
    );
    assert.match(refusal(entry([0x08, 0x01], [0x12, 0x01, 0x76])), /initial_resource_versions\.key: wire type 0/);
    assert.match(
      refusal(entry([0x0a, 0x01, 0x6e], [0x15, 1, 2, 3, 4])),
      /initial_resource_versions\.value: wire type 5/,
    );
    // A value of 128 bytes has a two-byte length, which is not UTF-8 on its own.
    const long = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      type_url: 't',
      initial_resource_versions: { ['n'.repeat(130)]: 'v'.repeat(200) },
    });
    assert.equal(refusal(long), '');
    assert.ok(decodeDeltaFast(long)!.initial_resource_versions.holds('n'.repeat(130), 'v'.repeat(200)));
  });

  it('keeps a claim protobufjs would order or treat apart for the general decoder', () => {
    for (const name of ['__proto__', '12', '0']) {
      const bytes = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
        type_url: TypeUrl.Cluster,
        initial_resource_versions: Object.defineProperty({ a: '1' }, name, { value: '2', enumerable: true }),
      });
      assert.equal(decodeDeltaFast(bytes), undefined, name);
      assert.deepStrictEqual(viaWire(bytes), viaProtobufjs(bytes), name);
    }
  });

  it('compares claimed versions against the cache without decoding ASCII ones', () => {
    const bytes = encodeMessage('envoy.service.discovery.v3.DeltaDiscoveryRequest', {
      type_url: TypeUrl.Cluster,
      initial_resource_versions: { a: 'v1', b: 'vé', c: '' },
    });
    const claimed = decodeDeltaFast(bytes)!.initial_resource_versions;
    assert.equal(claimed.size, 3);
    assert.ok(claimed.holds('a', 'v1') && !claimed.holds('a', 'v') && !claimed.holds('a', 'v12'));
    assert.ok(claimed.holds('b', 'vé') && !claimed.holds('b', 've'));
    assert.ok(claimed.holds('c', '') && !claimed.holds('c', 'x'));
    assert.ok(!claimed.holds('d', ''));
    assert.equal(claimed.version('d'), undefined);
    checkComparisons(claimed);
  });
});
