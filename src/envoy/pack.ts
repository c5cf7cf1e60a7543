import type * as protobuf from 'protobufjs';
import type { OutputTypeMap, TypeMap } from './generated/type-map';
import type { Any } from './generated/google/protobuf/Any';
import { encodePlain } from './encoder';
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
