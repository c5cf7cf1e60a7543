// Hand-assembled protobuf framing for discovery responses. Each resource is
// encoded once per version (PreparedResource); a response to any number of
// connections is then a concatenation of those shared bytes plus a few
// per-stream fields (nonce, version), with no re-serialization.

const WIRE_LEN = 2;

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
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

/** envoy.config.core.v3.ControlPlane { identifier = 1 } */
export function encodeControlPlane(identifier: string): Buffer {
  return stringField(1, identifier);
}

export interface SotwFrame {
  versionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Pre-encoded `resources` field entries (field 2, Any). */
  resourceFields: readonly Uint8Array[];
  controlPlane?: Uint8Array;
}

/** envoy.service.discovery.v3.DiscoveryResponse */
export function encodeSotwResponse(f: SotwFrame): Buffer {
  const parts: Uint8Array[] = [stringField(1, f.versionInfo), ...f.resourceFields, stringField(4, f.typeUrl)];
  parts.push(stringField(5, f.nonce));
  if (f.controlPlane) parts.push(lenField(6, f.controlPlane));
  return Buffer.concat(parts);
}

export interface DeltaFrame {
  systemVersionInfo: string;
  typeUrl: string;
  nonce: string;
  /** Pre-encoded `resources` field entries (field 2, Resource). */
  resourceFields: readonly Uint8Array[];
  removed: readonly string[];
  controlPlane?: Uint8Array;
}

/** envoy.service.discovery.v3.DeltaDiscoveryResponse */
export function encodeDeltaResponse(f: DeltaFrame): Buffer {
  const parts: Uint8Array[] = [stringField(1, f.systemVersionInfo), ...f.resourceFields, stringField(4, f.typeUrl)];
  parts.push(stringField(5, f.nonce));
  for (const name of f.removed) parts.push(lenField(6, Buffer.from(name, 'utf8')));
  if (f.controlPlane) parts.push(lenField(7, f.controlPlane));
  return Buffer.concat(parts);
}
