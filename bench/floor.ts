// W1's floor: protobufjs encoding the very messages we serve, nested Any
// payloads included, and nothing else. It counts only if its bytes are ours:
// build() checks every resource byte for byte and says how many differ.
import type * as protobuf from 'protobufjs';
import { messageType, typeForUrl, type PreparedResource } from '../src/envoy';

// No defaults: a field protobufjs finds set it writes, even at its default
// value, which our encoder (like Envoy's) leaves out.
const PLAIN: protobuf.IConversionOptions = { longs: String, enums: String, bytes: Buffer, defaults: false };

/** A message to encode, with the Any payloads inside it to encode first. */
interface Node {
  type: protobuf.Type;
  obj: Record<string, unknown>;
  anys: { holder: Record<string, unknown>; child: Node }[];
}

function isAny(v: unknown): v is { type_url: string; value: Buffer } {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { type_url?: unknown }).type_url === 'string' &&
    Buffer.isBuffer((v as { value?: unknown }).value)
  );
}

function plan(type: protobuf.Type, bytes: Uint8Array): Node {
  const obj = type.toObject(type.decode(bytes), PLAIN) as Record<string, unknown>;
  const anys: Node['anys'] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) for (const x of v) walk(x);
    else if (isAny(v)) {
      const t = typeForUrl(v.type_url);
      if (t) anys.push({ holder: v as unknown as Record<string, unknown>, child: plan(t, v.value) });
    } else if (typeof v === 'object' && v !== null && !Buffer.isBuffer(v)) for (const x of Object.values(v)) walk(x);
  };
  walk(obj);
  return { type, obj, anys };
}

function encode(n: Node): Uint8Array {
  for (const a of n.anys) a.holder.value = encode(a.child);
  return n.type.encode(n.type.fromObject(n.obj)).finish();
}

export interface Floor {
  /** Encodes every message (Any payloads first, as packing does). The first call is cold, as ours was. */
  run(): Uint8Array[];
  /** Resources whose floor bytes (from run()) differ from ours: 0, or the floor is not one. */
  differing(out: readonly Uint8Array[]): number;
}

/** Decodes our resources into plain objects; nothing is encoded until run(). */
export function buildFloor(resources: readonly PreparedResource[]): Floor {
  const nodes = resources.map((r) => plan(messageType(r.messageName), r.body));
  return {
    run: () => nodes.map(encode),
    differing: (out) => resources.filter((r, i) => !Buffer.from(out[i] ?? []).equals(r.body)).length,
  };
}
