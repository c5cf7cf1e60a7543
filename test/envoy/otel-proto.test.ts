import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { pack } from '../../src/envoy';

// Our opentelemetry/proto/common/v1/common.proto must put values where Envoy
// reads them: OpenTelemetryAccessLogConfig.body (2) and .attributes (3), an
// AnyValue's string in field 1, a KeyValueList's entries in field 1, a
// KeyValue's key in 1 and value in 2. Checked on the bytes, not through the
// same descriptor that wrote them.
describe('OpenTelemetry access-log config on the wire', () => {
  it('encodes body and attributes with OpenTelemetry field numbers', () => {
    const any = pack('envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig', {
      body: { string_value: 'ab' },
      attributes: { values: [{ key: 'k', value: { string_value: 'v' } }] },
    });
    const want = Buffer.from([
      // body (2, length-delimited): AnyValue { string_value (1): "ab" }
      0x12, 0x04, 0x0a, 0x02, 0x61, 0x62,
      // attributes (3): KeyValueList { values (1): KeyValue { key (1): "k", value (2): { string_value: "v" } } }
      0x1a, 0x0a, 0x0a, 0x08, 0x0a, 0x01, 0x6b, 0x12, 0x03, 0x0a, 0x01, 0x76,
    ]);
    assert.deepEqual(Buffer.from(any.value), want);
    assert.equal(
      any.type_url,
      'type.googleapis.com/envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
    );
  });
});
