import * as protobuf from 'protobufjs';
import { messageType } from './registry';

// protobufjs decodes leniently: it trusts the schema over the wire type and
// reads a negative length as empty. Requests from the network are walked
// first so that malformed bytes are reported, not silently misread.

const VARINT = 0;
const FIXED64 = 1;
const LEN = 2;
const FIXED32 = 5;

const WIRE_OF: Record<string, number> = {
  double: FIXED64,
  fixed64: FIXED64,
  sfixed64: FIXED64,
  float: FIXED32,
  fixed32: FIXED32,
  sfixed32: FIXED32,
  string: LEN,
  bytes: LEN,
};

function expectedWire(field: protobuf.Field): number[] {
  if (field.map || field.resolvedType instanceof protobuf.Type) return [LEN];
  const w = WIRE_OF[field.type] ?? VARINT;
  // Repeated scalars may arrive packed or not.
  return field.repeated && w !== LEN ? [w, LEN] : [w];
}

/** Throws with a path-naming message when `bytes` is not a well-formed `typeName`. */
export function checkWire(typeName: string, bytes: Uint8Array): void {
  walk(messageType(typeName), bytes, typeName, 0);
}

/**
 * checkWire for a message found at `path`, `depth` levels inside an outer
 * one: the same checks and messages as walking the outer message would give
 * there, for a decoder that reads the outer message's own fields itself.
 */
export function checkWireAt(typeName: string, bytes: Uint8Array, path: string, depth: number): void {
  walk(messageType(typeName), bytes, path, depth);
}

/**
 * Reads each field of `bytes` in turn: `onField` checks its number and wire
 * type (named `path.<name>`) and may return what to do with a
 * length-delimited body; other values are skipped. Malformed framing throws.
 */
function eachField(
  bytes: Uint8Array,
  path: string,
  nameOf: (num: number) => string,
  onField: (num: number, wire: number, where: string) => ((body: Uint8Array) => void) | undefined,
): void {
  const r = protobuf.Reader.create(bytes);
  while (r.pos < r.len) {
    const tag = r.uint32();
    const num = tag >>> 3;
    const wire = tag & 7;
    if (num === 0) throw new Error(`${path}: field number 0`);
    const where = `${path}.${nameOf(num)}`;
    const onBody = onField(num, wire, where);
    switch (wire) {
      case VARINT:
        r.uint64();
        break;
      case FIXED64:
        r.skip(8);
        break;
      case FIXED32:
        r.skip(4);
        break;
      case LEN: {
        const len = r.uint32();
        if (r.pos + len > r.len) throw new Error(`${where}: length ${len} runs past the end`);
        const body = bytes.subarray(r.pos, r.pos + len);
        r.pos += len;
        onBody?.(body);
        break;
      }
      default:
        throw new Error(`${where}: invalid wire type ${wire}`);
    }
  }
}

function walk(type: protobuf.Type, bytes: Uint8Array, path: string, depth: number): void {
  if (depth > 32) throw new Error(`${path}: nested too deeply`);
  eachField(
    bytes,
    path,
    (num) => type.fieldsById[num]?.name ?? `#${num}`,
    (num, wire, where) => {
      const field = type.fieldsById[num];
      if (field && !expectedWire(field).includes(wire))
        throw new Error(`${where}: wire type ${wire} does not fit ${field.type}`);
      if (field && !field.map && field.resolvedType instanceof protobuf.Type) {
        const inner = field.resolvedType;
        return (body) => walk(inner, body, where, depth + 1);
      }
      if (field instanceof protobuf.MapField)
        return field.resolvedType instanceof protobuf.Type ? undefined : (body) => checkScalarEntry(field, body, where);
      if (field?.type === 'string')
        return (body) => {
          if (!isUtf8(body)) throw new Error(`${where}: not valid UTF-8`);
        };
      return undefined;
    },
  );
}

/**
 * One entry of a map with scalar values (key = 1, value = 2): each held to
 * its wire type, and strings to UTF-8, as a message's own fields are. The
 * entry as a whole is no string: its tags and lengths are bytes that need
 * not be UTF-8 (a key or value of 128 bytes or more has a two-byte length).
 * Entries of maps with message values are left to the decoder, as before.
 */
function checkScalarEntry(field: protobuf.MapField, bytes: Uint8Array, path: string): void {
  eachField(
    bytes,
    path,
    (num) => (num === 1 ? 'key' : num === 2 ? 'value' : `#${num}`),
    (num, wire, where) => {
      const type = num === 1 ? field.keyType : num === 2 ? field.type : undefined;
      // (A value with a resolved type here is an enum: a varint.)
      const expected = num === 2 && field.resolvedType ? VARINT : type && (WIRE_OF[type] ?? VARINT);
      if (type !== undefined && wire !== expected) throw new Error(`${where}: wire type ${wire} does not fit ${type}`);
      if (type !== 'string') return undefined;
      return (body) => {
        if (!isUtf8(body)) throw new Error(`${where}: not valid UTF-8`);
      };
    },
  );
}

const decoder = new TextDecoder('utf-8', { fatal: true });
function isUtf8(b: Uint8Array): boolean {
  try {
    decoder.decode(b);
    return true;
  } catch {
    return false;
  }
}
