import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeAny, encodeDeltaResource, lenField, PreparedResource } from '../../src/envoy';

describe('resource framing', () => {
  // Bodies around the varint size boundaries (127/128, 16383/16384) and a multi-byte name.
  for (const size of [0, 1, 100, 127, 128, 300, 16_383, 16_384, 70_000]) {
    it(`frames a ${size}-byte body exactly as one lenField would, without copying the body`, () => {
      const body = Buffer.alloc(size, 0x5a);
      const r = new PreparedResource('type.googleapis.com/envoy.config.cluster.v3.Cluster', `c-${size}-ü`, body);
      const delta = r.deltaField();
      assert.deepEqual(
        Buffer.concat(delta),
        lenField(2, encodeDeltaResource(r.name, r.version, encodeAny(r.typeUrl, body))),
      );
      assert.equal(delta[1], body);
      const sotw = r.sotwField();
      assert.deepEqual(Buffer.concat(sotw), lenField(2, encodeAny(r.typeUrl, body)));
      assert.equal(sotw[1], body);
    });
  }
});
