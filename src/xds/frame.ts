// Discovery responses framed by hand around pre-encoded resources: a
// response to any number of connections is the resources' shared bytes plus a
// few per-stream fields (nonce, version), with no re-serialization. The
// resource entries' own framing lives with them (envoy/resource.ts).
import { lenField, stringField } from '../envoy';

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
