// Hand-assembled protobuf framing for discovery responses. Each resource is
// encoded once per version (PreparedResource); a response to any number of
// connections is then a concatenation of those shared bytes plus a few
// per-stream fields (nonce, version), with no re-serialization.

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
export function encodeDeltaResource(name: string, version: string, any: Uint8Array): Buffer {
  return Buffer.concat([stringField(1, version), lenField(2, any), stringField(3, name)]);
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

/** envoy.config.core.v3.ControlPlane { identifier = 1 } */
export function encodeControlPlane(identifier: string): Buffer {
  return stringField(1, identifier);
}

/**
 * A message as the pieces that concatenate to it, joined only when it is
 * sent. A response to many streams shares its resources' bytes; joining each
 * stream's copy when it is written, into a buffer reused for every stream
 * (see xds/services.ts), keeps a fan-out from holding one joined copy per
 * stream until the next GC on top of the copy gRPC makes to frame it.
 */
export class EncodedMessage {
  readonly length: number;

  constructor(readonly parts: readonly Uint8Array[]) {
    let n = 0;
    for (const p of parts) n += p.length;
    this.length = n;
  }

  /** The message in the first `length` bytes of `into`, which must be at least that long. */
  writeTo(into: Buffer): Buffer {
    let pos = 0;
    for (const p of this.parts) {
      into.set(p, pos);
      pos += p.length;
    }
    return into.subarray(0, pos);
  }

  /** The message in a buffer of its own. */
  toBuffer(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

export interface SotwFrame {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Pre-encoded `resources` field entries (field 2, Any), possibly split into pieces. */
  resourceFields: readonly Uint8Array[];
  controlPlane?: Uint8Array;
}

/** envoy.service.discovery.v3.DiscoveryResponse, as pieces. */
export function sotwResponse(f: SotwFrame): EncodedMessage {
  const parts: Uint8Array[] = [stringField(1, f.versionInfo), ...f.resourceFields, stringField(4, f.typeUrl)];
  parts.push(stringField(5, f.nonce));
  if (f.controlPlane) parts.push(lenField(6, f.controlPlane));
  return new EncodedMessage(parts);
}

/** envoy.service.discovery.v3.DiscoveryResponse */
export function encodeSotwResponse(f: SotwFrame): Buffer {
  return sotwResponse(f).toBuffer();
}

export interface DeltaFrame {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Pre-encoded `resources` field entries (field 2, Resource), possibly split into pieces. */
  resourceFields: readonly Uint8Array[];
  removed: readonly string[];
  controlPlane?: Uint8Array;
}

/** envoy.service.discovery.v3.DeltaDiscoveryResponse, as pieces. */
export function deltaResponse(f: DeltaFrame): EncodedMessage {
  const parts: Uint8Array[] = [stringField(1, f.systemVersionInfo), ...f.resourceFields, stringField(4, f.typeUrl)];
  parts.push(stringField(5, f.nonce));
  for (const name of f.removed) parts.push(lenField(6, Buffer.from(name, 'utf8')));
  if (f.controlPlane) parts.push(lenField(7, f.controlPlane));
  return new EncodedMessage(parts);
}
