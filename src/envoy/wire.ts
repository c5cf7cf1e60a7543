// Protobuf wire primitives written by hand, and the framing of one resource
// entry of a discovery response: each resource is encoded once per version
// (PreparedResource) and keeps the few bytes around its body, so responses
// (xds/frame.ts) concatenate shared bytes instead of re-serializing.

const WIRE_LEN = 2;

/** Bytes of a non-negative integer as a protobuf varint. */
export function varintSize(n: number): number {
  if (n < 0x10000000) return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
  let size = 4;
  for (n = Math.floor(n / 0x10000000); n > 0; n = Math.floor(n / 128)) size++;
  return size;
}

/**
 * Writes a non-negative integer as a protobuf varint at `pos` and returns the
 * position after it; the one varint writer every hand encoder here uses.
 * Shifts while the value fits 32 bits (the common case), divides above.
 */
export function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n > 127) {
    buf[pos++] = (n & 127) | 128;
    n = n < 0x100000000 ? n >>> 7 : Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

/** A length-delimited field: tag, length, payload. */
export function lenField(field: number, payload: Uint8Array): Buffer {
  const tag = (field << 3) | WIRE_LEN;
  const out = Buffer.allocUnsafe(varintSize(tag) + varintSize(payload.length) + payload.length);
  let pos = writeVarint(out, 0, tag);
  pos = writeVarint(out, pos, payload.length);
  out.set(payload, pos);
  return out;
}

export function stringField(field: number, value: string): Buffer {
  return value === '' ? Buffer.alloc(0) : lenField(field, Buffer.from(value, 'utf8'));
}

/** google.protobuf.Any { type_url = 1; value = 2 } */
export function encodeAny(typeUrl: string, value: Uint8Array): Buffer {
  return Buffer.concat([stringField(1, typeUrl), lenField(2, value)]);
}

/** envoy.service.discovery.v3.Resource { version = 1; resource = 2; name = 3 } */
export function encodeDeltaResource(name: string, version: string, payload: Uint8Array): Buffer {
  return Buffer.concat([stringField(1, version), lenField(2, payload), stringField(3, name)]);
}

/** Bytes of a length-delimited field's tag and length, before its payload. */
function lenHeaderSize(field: number, length: number): number {
  return varintSize((field << 3) | WIRE_LEN) + varintSize(length);
}

function writeLenHeader(buf: Buffer, pos: number, field: number, length: number): number {
  return writeVarint(buf, writeVarint(buf, pos, (field << 3) | WIRE_LEN), length);
}

function writeStringField(buf: Buffer, pos: number, field: number, value: string, bytes: number): number {
  if (bytes === 0) return pos;
  pos = writeLenHeader(buf, pos, field, bytes);
  return pos + buf.write(value, pos, 'utf8');
}

function stringFieldSize(field: number, bytes: number): number {
  return bytes === 0 ? 0 : lenHeaderSize(field, bytes) + bytes;
}

/**
 * A resource entry of a response as the bytes around its body: `head`, then
 * the body itself, then `tail`. Concatenating the three gives exactly the
 * field lenField(field, ...) would, without a copy of the body that lives as
 * long as the resource; `head` and `tail` are views of one small allocation.
 */
export interface FieldFraming {
  head: Buffer;
  tail: Buffer;
}

/** `resources` (field 2) entry of a DiscoveryResponse: Any { type_url, value = body }. */
export function sotwFraming(typeUrl: string, bodyLength: number): FieldFraming {
  const urlBytes = Buffer.byteLength(typeUrl, 'utf8');
  const anyLen = stringFieldSize(1, urlBytes) + lenHeaderSize(2, bodyLength) + bodyLength;
  // Not pooled: framing is kept with its resource (see owned() in resource.ts).
  const buf = Buffer.allocUnsafeSlow(lenHeaderSize(2, anyLen) + anyLen - bodyLength);
  let pos = writeLenHeader(buf, 0, 2, anyLen);
  pos = writeStringField(buf, pos, 1, typeUrl, urlBytes);
  pos = writeLenHeader(buf, pos, 2, bodyLength);
  return { head: buf.subarray(0, pos), tail: buf.subarray(pos, pos) };
}

/**
 * `resources` (field 2) entry of a DeltaDiscoveryResponse:
 * Resource { version = 1; resource = 2 (Any { type_url, value = body }); name = 3 }.
 */
export function deltaFraming(typeUrl: string, name: string, version: string, bodyLength: number): FieldFraming {
  const urlBytes = Buffer.byteLength(typeUrl, 'utf8');
  const nameBytes = Buffer.byteLength(name, 'utf8');
  const versionBytes = Buffer.byteLength(version, 'utf8');
  const anyLen = stringFieldSize(1, urlBytes) + lenHeaderSize(2, bodyLength) + bodyLength;
  const resLen = stringFieldSize(1, versionBytes) + lenHeaderSize(2, anyLen) + anyLen + stringFieldSize(3, nameBytes);
  const buf = Buffer.allocUnsafeSlow(lenHeaderSize(2, resLen) + resLen - bodyLength);
  let pos = writeLenHeader(buf, 0, 2, resLen);
  pos = writeStringField(buf, pos, 1, version, versionBytes);
  pos = writeLenHeader(buf, pos, 2, anyLen);
  pos = writeStringField(buf, pos, 1, typeUrl, urlBytes);
  pos = writeLenHeader(buf, pos, 2, bodyLength);
  const headEnd = pos;
  pos = writeStringField(buf, pos, 3, name, nameBytes);
  return { head: buf.subarray(0, headEnd), tail: buf.subarray(headEnd, pos) };
}
