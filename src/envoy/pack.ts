import * as protobuf from 'protobufjs';
import type { OutputTypeMap, TypeMap } from './generated/type-map';
import type { Any } from './generated/google/protobuf/Any';
import { encodePlain } from './encoder';
import { messageType } from './registry';
import { checkWire, checkWireAt } from './wire-check';
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
}

/** Field numbers of the fields `message` sets (or may set: every one not null). */
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
  return { name, bytes: encodePlain(type, tail as object), firstField: Math.min(...fieldIds(type, tail as object)) };
}

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

/**
 * decodeMessage for a message found at `path`, `depth` levels inside an outer
 * one (see checkWireAt): a decoder that reads the outer message by hand
 * hands its nested messages here, checked as the outer walk would check them.
 */
export function decodeNested<N extends MessageName>(
  name: N,
  bytes: Uint8Array,
  path: string,
  depth: number,
): OutputTypeMap[N] {
  const type = messageType(name);
  checkWireAt(name, bytes, path, depth);
  // protobufjs' generated decoders take the nesting depth as a fourth
  // argument and refuse past Reader.recursionLimit: passing it keeps that
  // limit where decoding the outer message would put it.
  const decode = type.decode as unknown as (r: protobuf.Reader, l: number, e: undefined, n: number) => protobuf.Message;
  return type.toObject(
    decode.call(type, protobuf.Reader.create(bytes), bytes.length, undefined, depth),
    OUTPUT_OPTIONS,
  ) as OutputTypeMap[N];
}
