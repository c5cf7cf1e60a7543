import type * as protobuf from 'protobufjs';
import type { OutputTypeMap, TypeMap } from './generated/type-map';
import type { Any } from './generated/google/protobuf/Any';
import { encodePlain, encodePlainParts } from './encoder';
import { messageType } from './registry';
import { checkWire } from './wire-check';
import { typeUrlOf } from './type-urls';

export type MessageName = keyof TypeMap;
export type { OutputTypeMap, TypeMap };

/**
 * Encodes a message to protobuf bytes: the bytes protobufjs would write for
 * `type.encode(type.fromObject(message))`, without building the message
 * instances (see encoder.ts). The payload is checked against the generated
 * type for `name`, so a misspelled field is a compile error.
 */
export function encodeMessage<N extends MessageName>(name: N, message: TypeMap[N]): Buffer {
  return encodePlain(messageType(name), message as object);
}

/** Packs a typed message into a google.protobuf.Any (encoded immediately). */
export function pack<N extends MessageName>(name: N, message: TypeMap[N]): Any {
  return { type_url: typeUrlOf(name), value: encodeMessage(name, message) };
}

/**
 * The encoding of some fields of a message, to be packed after different
 * sets of lower-numbered fields (see packWithTail): messages that differ
 * only in their first few fields encode the rest once.
 */
export interface EncodedTail<N extends MessageName> {
  readonly name: N;
  readonly bytes: Buffer;
  /** The lowest field number the tail sets. */
  readonly firstField: number;
  /** The highest field number the tail sets. */
  readonly lastField: number;
}

/** Field numbers of the fields `message` sets (or may set: any not null). */
function fieldIds(type: protobuf.Type, message: object): number[] {
  const ids: number[] = [];
  for (const [k, v] of Object.entries(message)) {
    if (v === null || v === undefined) continue;
    const f = type.fields[k];
    if (!f) throw new Error(`${type.fullName} has no field ${k}`);
    ids.push(f.id);
  }
  return ids;
}

export function encodeTail<N extends MessageName>(name: N, tail: TypeMap[N]): EncodedTail<N> {
  const type = messageType(name);
  const ids = fieldIds(type, tail as object);
  const encoded = {
    name,
    bytes: encodePlain(type, tail as object),
    firstField: Math.min(...ids),
    lastField: Math.max(...ids),
  };
  TAILS.add(encoded);
  return encoded;
}

/**
 * Encodes a message given as parts in field-number order, each either fields
 * to encode now or an encoding made once (encodeTail) and shared by many
 * messages. Fields are written in number order, so the concatenation is
 * exactly encodeMessage() of the merged message. Throws when the parts'
 * fields overlap or are out of order. The result has memory of its own.
 */
export function encodeParts<N extends MessageName>(name: N, parts: readonly (TypeMap[N] | EncodedTail<N>)[]): Buffer {
  const type = messageType(name);
  const pieces: (object | Uint8Array)[] = [];
  let last = 0;
  for (const p of parts) {
    if (isTail(p)) {
      if (p.firstField <= last)
        throw new Error(`${name}: part with field ${p.firstField} does not follow field ${last}`);
      last = p.lastField;
      pieces.push(p.bytes);
      continue;
    }
    // Field numbers in the order given are ascending unless a part is out of
    // place; each key is looked up once, without building arrays.
    let lo = Infinity;
    let hi = 0;
    for (const k in p) {
      const v = (p as Record<string, unknown>)[k];
      if (v === null || v === undefined) continue;
      const f = type.fields[k];
      if (!f) throw new Error(`${type.fullName} has no field ${k}`);
      if (f.id < lo) lo = f.id;
      if (f.id > hi) hi = f.id;
    }
    if (hi === 0) continue;
    if (lo <= last) throw new Error(`${name}: part with field ${lo} does not follow field ${last}`);
    last = hi;
    pieces.push(p as object);
  }
  return encodePlainParts(type, pieces);
}

function isTail(p: object): p is EncodedTail<MessageName> {
  return p instanceof Object && TAILS.has(p);
}

// Tails are told apart from message parts by identity, never by shape: a
// message may have fields named like a tail's.
const TAILS = new WeakSet<object>();

/**
 * Packs `head` merged with `tail`. Fields are written in number order, so
 * when every field of the head is numbered below the tail's first, the bytes
 * are the head's encoding followed by the tail's: exactly pack() of the
 * merged message. Throws when the fields overlap or interleave.
 */
export function packWithTail<N extends MessageName>(name: N, head: TypeMap[N], tail: EncodedTail<N>): Any {
  const type = messageType(name);
  const last = Math.max(0, ...fieldIds(type, head as object));
  if (last >= tail.firstField) {
    throw new Error(`${name}: head field ${last} is not below the tail's first field ${tail.firstField}`);
  }
  const bytes = encodePlain(type, head as object);
  return { type_url: typeUrlOf(name), value: Buffer.concat([bytes, tail.bytes], bytes.length + tail.bytes.length) };
}

// Same conversion options the generated __Output types describe.
const OUTPUT_OPTIONS: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  arrays: true,
  objects: false,
  oneofs: true,
};

/**
 * Decodes protobuf bytes into the generated __Output shape (snake_case keys,
 * defaults filled in). Throws on malformed input.
 */
export function decodeMessage<N extends MessageName>(name: N, bytes: Uint8Array): OutputTypeMap[N] {
  const type = messageType(name);
  checkWire(name, bytes);
  return type.toObject(type.decode(bytes), OUTPUT_OPTIONS) as OutputTypeMap[N];
}
