// encodeMessage writes plain objects without protobufjs' fromObject: it must
// give exactly the bytes `type.encode(type.fromObject(obj))` gives, for every
// shape the translator emits and for the conversions fromObject makes.
import { strict as assert } from 'node:assert';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type * as protobuf from 'protobufjs';
import { encodeMessage, encodeTail, messageType, pack, packWithTail, type MessageName } from '../../src/envoy';
import { encodePlain, shareEncoding } from '../../src/envoy/encoder';
import { loadManifests } from '../../src/watch/load';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { buildProxyless } from '../../src/translate/proxyless/proxyless';
import { meshWorld } from '../../bench/translate-bench';
import { CASES_DIR, caseNames } from '../golden/harness';

function reference(type: protobuf.Type, obj: object): Buffer {
  return Buffer.from(type.encode(type.fromObject(obj)).finish());
}

function same(name: string, obj: object): void {
  const type = messageType(name);
  const want = reference(type, obj);
  const got = encodePlain(type, obj);
  assert.equal(got.toString('hex'), want.toString('hex'), `${name} ${JSON.stringify(obj).slice(0, 200)}`);
}

function throwsLike(name: string, obj: object): void {
  const type = messageType(name);
  let want: unknown;
  try {
    reference(type, obj);
  } catch (e) {
    want = e;
  }
  assert.ok(want instanceof Error, 'the reference throws');
  assert.throws(() => encodePlain(type, obj), { name: want.name, message: want.message });
}

const LDS = 'envoy.config.listener.v3.Listener';
const CDS = 'envoy.config.cluster.v3.Cluster';
const RDS = 'envoy.config.route.v3.RouteConfiguration';
const ROUTE = 'envoy.config.route.v3.Route';

describe('encodeMessage matches protobufjs encode(fromObject())', () => {
  it('enums by name, by number, unknown, and in repeated fields', () => {
    same(CDS, { name: 'a', type: 'EDS', lb_policy: 'ROUND_ROBIN' });
    same(CDS, { name: 'a', type: 3, lb_policy: 1, dns_lookup_family: 'V4_PREFERRED' });
    same(CDS, { name: 'a', type: 'NO_SUCH_TYPE', lb_policy: 99 } as never);
    same(CDS, { name: 'a', type: null, lb_policy: undefined } as never);
    same('envoy.config.core.v3.HealthStatusSet', { statuses: ['HEALTHY', 'BOGUS', 3, 'DRAINING'] } as never);
    same('envoy.config.core.v3.HealthStatusSet', { statuses: [] });
  });

  it('64-bit values as numbers, strings, negative, and non-integers', () => {
    for (const seconds of [
      0,
      1,
      10,
      3600,
      2 ** 40,
      2 ** 53,
      2 ** 60,
      -1,
      -(2 ** 40),
      1.5,
      '12',
      '-7',
      '18446744073709551615',
      '0',
      '007',
      '1e3',
      ' 5',
      '999999999999999',
      '9999999999999999',
      '9223372036854775808',
    ])
      same('google.protobuf.Duration', { seconds, nanos: 500 } as never);
    throwsLike('google.protobuf.Duration', { seconds: '' } as never);
    // The same strings in the other 64-bit encodings.
    for (const value of ['0', '42', '999999999999999', '1234567890123456'])
      for (const name of ['google.protobuf.Int64Value', 'google.protobuf.UInt64Value']) same(name, { value } as never);
    same('envoy.config.cluster.v3.Cluster', { name: 'x', connect_timeout: { seconds: 10, nanos: -5 } });
  });

  it('32-bit conversions: negative int32, uint32 wrap, doubles, floats, bools', () => {
    same('google.protobuf.Int32Value', { value: -5 });
    same('google.protobuf.Int32Value', { value: 2 ** 31 + 3 });
    same('google.protobuf.UInt32Value', { value: -1 });
    same('google.protobuf.UInt32Value', { value: '42' } as never);
    same('google.protobuf.DoubleValue', { value: 0.1 });
    same('google.protobuf.DoubleValue', { value: 'NaN' } as never);
    same('google.protobuf.FloatValue', { value: 1e-3 });
    same('google.protobuf.BoolValue', { value: 0 } as never);
    same('google.protobuf.BoolValue', { value: 'yes' } as never);
    same('google.protobuf.Int64Value', { value: -3 });
    same('google.protobuf.UInt64Value', { value: 7 });
  });

  it('strings: empty, long, non-ASCII, lone surrogates, non-strings', () => {
    for (const s of [
      '',
      'a',
      'x'.repeat(42),
      'x'.repeat(43),
      'x'.repeat(127),
      'x'.repeat(128),
      'x'.repeat(512),
      'x'.repeat(513),
      'y'.repeat(20000),
      'é',
      'ünïcødé'.repeat(30),
      `${'a'.repeat(200)}€`,
      '😀 emoji',
      '\ud800 lone',
    ])
      same('google.protobuf.StringValue', { value: s });
    same('google.protobuf.StringValue', { value: 12 } as never);
    same(CDS, { name: 'x', alt_stat_name: 'ü'.repeat(100) });
    // Type URLs are written from a cache after their first use.
    for (let i = 0; i < 2; i++)
      for (const type_url of ['type.googleapis.com/x.ü', `type.googleapis.com/${'y'.repeat(300)}`, ''])
        same('google.protobuf.Any', { type_url, value: Buffer.from([i]) });
  });

  it('bytes: buffers, arrays, base64 strings', () => {
    same('google.protobuf.BytesValue', { value: Buffer.from([1, 2, 3]) });
    same('google.protobuf.BytesValue', { value: new Uint8Array(300).fill(7) });
    same('google.protobuf.BytesValue', { value: 'AQID' } as never);
    same('google.protobuf.BytesValue', { value: [] as number[] } as never);
    same('google.protobuf.Any', { type_url: 'type.googleapis.com/x', value: Buffer.alloc(0) });
  });

  it('nested messages: empty, long enough for two- and three-byte lengths', () => {
    same(LDS, { name: 'l', internal_listener: {} });
    const routes = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        name: `r${i}`,
        match: { prefix: '/' },
        route: { cluster: `outbound|80||svc-${i}.ns.svc.cluster.local`, timeout: { seconds: 0, nanos: 0 } },
      }));
    for (const n of [1, 3, 100, 1000])
      same(RDS, { name: 'rc', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: routes(n) }] });
  });

  it('maps, Structs and Values', () => {
    same('envoy.config.core.v3.Metadata', {
      filter_metadata: {
        'envoy.filters.listener.original_dst': { fields: { local: { stringValue: '10.0.0.1:80' } } },
        istio: {
          fields: {
            n: { numberValue: 1.25 },
            b: { boolValue: false },
            z: { nullValue: 'NULL_VALUE' },
            l: { listValue: { values: [{ stringValue: 'a' }, { numberValue: -2 }] } },
            s: { structValue: { fields: { inner: { stringValue: 'ü' } } } },
          },
        },
        '1': { fields: {} },
      },
    } as never);
    same(CDS, {
      name: 'c',
      typed_extension_protocol_options: {
        a: { type_url: 'type.googleapis.com/x', value: Buffer.from([1]) },
        b: { type_url: 'type.googleapis.com/y', value: Buffer.alloc(0) },
      },
    });
    same('envoy.config.core.v3.Metadata', { filter_metadata: {} });
  });

  it('repeated scalars, packed and not', () => {
    same(ROUTE, {
      name: 'r',
      match: { prefix: '/' },
      route: {
        cluster: 'c',
        retry_policy: { retry_on: '5xx', retriable_status_codes: [503, 504, 0, 1000], num_retries: { value: 2 } },
      },
      request_headers_to_remove: ['a', 'b', ''],
    });
    same(ROUTE, { name: 'r', route: { cluster: 'c', retry_policy: { retriable_status_codes: [] } } });
  });

  it('oneof members, explicit defaults, null and undefined fields', () => {
    same(ROUTE, { name: '', match: { prefix: '', path: '/x' }, route: { cluster: '', weighted_clusters: undefined } });
    same(ROUTE, { name: 'r', match: null, direct_response: { status: 0 } } as never);
    same('envoy.type.matcher.v3.StringMatcher', { exact: 'a', ignore_case: false });
  });

  it('Any in its JSON form and message instances go through protobufjs', () => {
    same('google.protobuf.Any', { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: 'hi' } as never);
    same(CDS, {
      name: 'c',
      transport_socket: {
        name: 't',
        typed_config: { '@type': 'type.googleapis.com/google.protobuf.StringValue', value: 'hi' },
      },
    } as never);
    const dur = messageType('google.protobuf.Duration');
    same(CDS, { name: 'c', connect_timeout: dur.fromObject({ seconds: 5 }) } as never);
    same('google.protobuf.Duration', dur.fromObject({ seconds: 5, nanos: 1 }));
  });

  it('throws where fromObject throws', () => {
    throwsLike(CDS, { name: 'c', connect_timeout: 5 } as never);
    throwsLike(CDS, { name: 'c', filters: {} } as never);
    throwsLike(CDS, { name: 'c', typed_extension_protocol_options: 'x' } as never);
    throwsLike(RDS, { name: 'c', virtual_hosts: [null] } as never);
  });

  it('the same bytes twice, and nested calls do not disturb an encode in progress', () => {
    const msg = { name: 'a', type: 'EDS' as const, eds_cluster_config: { service_name: 'x'.repeat(300) } };
    const a = encodeMessage(CDS, msg);
    const b = encodeMessage(CDS, {
      ...msg,
      get alt_stat_name() {
        return encodeMessage(CDS, msg).toString('hex').slice(0, 8);
      },
    } as never);
    assert.deepEqual(encodeMessage(CDS, msg), a);
    same(CDS, { ...msg, alt_stat_name: a.toString('hex').slice(0, 8) });
    assert.equal(
      b.toString('hex'),
      reference(messageType(CDS), { ...msg, alt_stat_name: a.toString('hex').slice(0, 8) }).toString('hex'),
    );
  });

  it('a shared Struct or Metadata encodes as it would afresh, each time and wherever it is written', () => {
    const big = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, { stringValue: 'v'.repeat(i) }]));
    const struct = shareEncoding({ fields: { ...big, n: { numberValue: 1.5 } } });
    const metadata = shareEncoding({ filter_metadata: { istio: struct, other: { fields: {} } } });
    assert.ok(
      Object.isFrozen((metadata.filter_metadata.istio.fields as Record<string, object>).k3),
      'frozen all the way down',
    );
    for (let i = 0; i < 3; i++) {
      same(CDS, { name: `c${i}`, metadata });
      same(CDS, { name: 'd', metadata: { filter_metadata: { istio: struct } } });
      same('envoy.config.core.v3.Metadata', metadata);
      same('envoy.config.core.v3.Metadata', { filter_metadata: { a: struct, b: struct } });
    }
    const tracing = shareEncoding({
      random_sampling: { value: 1 },
      custom_tags: [{ tag: 'a', literal: { value: 'b' } }],
    });
    const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
    for (let i = 0; i < 3; i++) same(HCM, { stat_prefix: `s${i}`, tracing, server_name: 'x' });
    // Not shared: encoded afresh even after a change.
    const plain = { filter_metadata: { istio: { fields: { a: { stringValue: 'x' } } } } };
    same(CDS, { name: 'e', metadata: plain });
    plain.filter_metadata.istio.fields.a.stringValue = 'y';
    same(CDS, { name: 'e', metadata: plain });
  });
});

describe('packWithTail', () => {
  const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
  it('packs the merged message when the head fields come first', () => {
    const tail = {
      server_name: 'istio-envoy',
      http_filters: [
        { name: 'envoy.filters.http.router', typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}) },
      ],
      merge_slashes: true,
    };
    const head = { stat_prefix: 'x', codec_type: 'AUTO' as const, rds: { route_config_name: 'r' } };
    assert.deepEqual(packWithTail(HCM, head, encodeTail(HCM, tail)), pack(HCM, { ...head, ...tail }));
    assert.deepEqual(packWithTail(HCM, {}, encodeTail(HCM, tail)), pack(HCM, tail));
  });
  it('refuses a head whose fields are not all below the tail', () => {
    const tail = encodeTail(HCM, { http_filters: [], server_name: 's' });
    assert.throws(() => packWithTail(HCM, { server_name: 'again' }, tail), /not below/);
    assert.throws(() => packWithTail(HCM, { merge_slashes: true }, tail), /not below/);
  });
});

// Every resource the golden cases and a small benchmark mesh produce, and
// every message packed inside them, decoded to the sparse plain shape the
// builders write (enums by name, only the fields present), then encoded both
// ways.
const SPARSE: protobuf.IConversionOptions = { enums: String, longs: Number, bytes: Buffer, oneofs: false };

function* withNested(type: protobuf.Type, bytes: Uint8Array): Generator<[protobuf.Type, object]> {
  const obj = type.toObject(type.decode(bytes), SPARSE);
  yield [type, obj];
  const stack: unknown[] = [obj];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) stack.push(...v);
    else if (v && typeof v === 'object' && !Buffer.isBuffer(v)) {
      const rec = v as Record<string, unknown>;
      if (typeof rec.type_url === 'string' && Buffer.isBuffer(rec.value)) {
        const url = rec.type_url;
        let inner: protobuf.Type | undefined;
        try {
          inner = messageType(url.slice(url.lastIndexOf('/') + 1));
        } catch {
          inner = undefined;
        }
        if (inner) yield* withNested(inner, rec.value);
      }
      stack.push(...Object.values(rec));
    }
  }
}

describe('encodeMessage over everything the translator emits', () => {
  it('golden cases and a 200-service mesh encode to the same bytes both ways', async () => {
    const worlds = [];
    for (const name of caseNames()) {
      const dir = join(CASES_DIR, name);
      const inputs = readdirSync(dir)
        .filter((f) => /^input.*\.ya?ml$/.test(f))
        .sort()
        .map((f) => join(dir, f));
      worlds.push((await loadManifests(inputs)).world);
    }
    worlds.push(meshWorld(200));
    let checked = 0;
    for (const world of worlds) {
      const result = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true });
      const lists = [...result.waypoints.values()].flatMap((w) => [...w.resources.values()]);
      lists.push(...buildProxyless(world, result.index, DEFAULT_OPTIONS).values());
      for (const rs of lists) {
        for (const r of rs) {
          const top = messageType(r.messageName as MessageName);
          assert.equal(encodePlain(top, top.decode(r.body)).toString('hex'), r.body.toString('hex'));
          for (const [type, obj] of withNested(top, r.body)) {
            const want = reference(type, obj).toString('hex');
            assert.equal(encodePlain(type, obj).toString('hex'), want, `${r.name}: ${type.fullName}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 1000, `checked ${checked} messages`);
  });
});
