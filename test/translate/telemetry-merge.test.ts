import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { mergeLogs, mergeMetrics, mergeTracing } from '../../src/translate/policy/telemetry';

const obj = (m: Map<string, unknown>) => Object.fromEntries(m);

describe('telemetry.go: mergeLogs (server side)', () => {
  it('falls back to the default providers without Telemetry', () => {
    assert.deepEqual(obj(mergeLogs([], ['envoy'])), { envoy: { disabled: false } });
  });
  it('an inner level naming providers replaces the outer scope', () => {
    const m = mergeLogs([[{ providers: [{ name: 'envoy' }] }], [{ providers: [{ name: 'als' }] }]], []);
    assert.deepEqual(obj(m), { als: { disabled: false } });
  });
  it('an entry without providers inherits and can disable them', () => {
    const m = mergeLogs([[{ providers: [{ name: 'envoy' }], filter: { expression: 'a' } }], [{ disabled: true }]], []);
    assert.deepEqual(obj(m), { envoy: { disabled: true } });
  });
  it('a filter is recorded only for entries that name their providers', () => {
    const m = mergeLogs(
      [[{ providers: [{ name: 'envoy' }], filter: { expression: 'a' } }], [{ filter: { expression: 'b' } }]],
      [],
    );
    assert.deepEqual(obj(m), { envoy: { disabled: false, filter: 'a' } });
  });
  it('CLIENT-only entries do not apply to a waypoint', () => {
    const m = mergeLogs([[{ providers: [{ name: 'envoy' }], match: { mode: 'CLIENT' } }]], []);
    assert.deepEqual(obj(m), {});
  });
});

describe('telemetry.go: Tracing (server side)', () => {
  const known = (n: string) => n === 'zipkin';
  it('is undefined with neither Telemetry nor default provider', () => {
    assert.equal(mergeTracing([], [], known), undefined);
  });
  it('is disabled when no provider is known', () => {
    assert.equal(mergeTracing([{ randomSamplingPercentage: 5 }], [], known)?.disabled, true);
    assert.equal(mergeTracing([{ providers: [{ name: 'nope' }] }], ['zipkin'], known)?.disabled, true);
  });
  it('later entries override field by field', () => {
    const s = mergeTracing(
      [
        {
          providers: [{ name: 'zipkin' }],
          randomSamplingPercentage: 5,
          customTags: { a: { literal: { value: 'x' } } },
        },
        { randomSamplingPercentage: 50 },
      ],
      [],
      known,
    );
    assert.equal(s?.provider, 'zipkin');
    assert.equal(s?.randomSamplingPercentage, 50);
    assert.deepEqual(Object.keys(s?.customTags ?? {}), ['a']);
  });
});

describe('telemetry.go: mergeMetrics (server side)', () => {
  it('disabling ALL_METRICS drops the provider until a later override names a metric', () => {
    const off = mergeMetrics([{ overrides: [{ disabled: true }] }], ['prometheus']);
    assert.equal(off.get('prometheus')?.disabled, true);
    const back = mergeMetrics(
      [{ overrides: [{ disabled: true }] }, { overrides: [{ match: { metric: 'REQUEST_COUNT' }, disabled: false }] }],
      ['prometheus'],
    );
    assert.equal(back.get('prometheus')?.disabled, false);
    assert.deepEqual(back.get('prometheus')?.overrides, [{ name: 'REQUEST_COUNT', disabled: false, tags: [] }]);
  });
  it('tag overrides merge per tag, later wins, sorted', () => {
    const m = mergeMetrics(
      [
        { overrides: [{ match: { metric: 'REQUEST_COUNT' }, tagOverrides: { b: { value: '1' }, a: { value: '2' } } }] },
        { overrides: [{ match: { metric: 'REQUEST_COUNT' }, tagOverrides: { b: { operation: 'REMOVE' } } }] },
      ],
      ['prometheus'],
    );
    assert.deepEqual(m.get('prometheus')?.overrides[0]?.tags, [{ name: 'a', value: '2' }, { name: 'b' }]);
  });
});
