import * as protobuf from 'protobufjs';
import { Writer } from './writer';

// Encodes plain message objects (the generated TypeMap shapes: snake_case
// keys, enums by name or number) straight to protobuf bytes, producing the
// bytes protobufjs produces for `type.encode(type.fromObject(obj))`, without
// building the intermediate message instances. The conversions are the ones
// fromObject applies (String(), `|0`, `>>>0`, enum names, Long for 64-bit
// values, base64 for string bytes), and fields are written in field-number
// order as protobufjs writes them: every field present and not null, maps in
// key order, proto3 scalars packed. test/envoy/encoder.test.ts holds it to
// that over every resource of the golden cases and the benchmark mesh.
//
// Nested messages are written in one pass: one byte is reserved for the
// length, and the body is moved along in the rare case it needs more.

type Encode = (m: Record<string, unknown>, w: Writer) => void;

interface Entry {
  type: protobuf.Type;
  /** google.protobuf.Any, which fromObject also accepts in its JSON form (`@type`). */
  isAny: boolean;
  fn: Encode;
  /** Length-prefixed encodings of shared values (see shareEncoding), for the types that look them up. */
  shared: WeakMap<object, Buffer>;
}

// Values whose encoding may be kept and reused: deeply frozen, so the same
// object always encodes to the same bytes.
const SHARED = new WeakSet<object>();

// Types a value is looked up in SHARED for: slow to encode (Struct is maps
// of Values, tracing a list of tags), and repeated verbatim across resources
// (a service's `istio` metadata on each of its clusters, a proxy's tracing
// tags on each of its HTTP chains).
const SHAREABLE = new Set([
  // A waypoint's filter chains: main_internal holds them all and is written
  // again on any change, while most chains are the same objects as before.
  '.envoy.config.listener.v3.FilterChain',
  '.google.protobuf.Struct',
  '.envoy.config.core.v3.Metadata',
  '.envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager.Tracing',
]);

function deepFreeze<T>(v: T): T {
  // Bytes (a packed Any's value) cannot be frozen; they are never written to once encoded.
  if (ArrayBuffer.isView(v)) return v;
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * Freezes `message` (deeply) and lets the encoder keep its bytes when it is
 * written as a field of one of the SHAREABLE types, so a value shared by many resources
 * is encoded once. The bytes are the ones encoding it afresh would give.
 */
export function shareEncoding<T extends object>(message: T): T {
  deepFreeze(message);
  SHARED.add(message);
  return message;
}

const entries = new Map<protobuf.Type, Entry>();

function entryOf(type: protobuf.Type): Entry {
  let e = entries.get(type);
  if (!e) {
    const entry: Entry = {
      type,
      isAny: type.fullName === '.google.protobuf.Any',
      shared: new WeakMap(),
      // Compiled on first use, so types that refer to each other resolve lazily.
      fn: (m, w) => {
        entry.fn = compile(type);
        entry.fn(m, w);
      },
    };
    e = entry;
    entries.set(type, e);
  }
  return e;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

/** What the generated code calls back into. */
interface Helpers {
  entries: Entry[];
  enums: Map<string | number, number>[];
  fallback: (type: protobuf.Type, v: unknown) => Uint8Array;
  isObject: typeof isObject;
  decode64: (s: string) => Uint8Array;
  isShared: (v: object) => boolean;
  objectExpected: (name: string) => never;
  arrayExpected: (name: string) => never;
}

const decode64 = (s: string): Uint8Array => {
  const out = protobuf.util.newBuffer(protobuf.util.base64.length(s));
  protobuf.util.base64.decode(s, out, 0);
  return out;
};

const HELPERS_BASE = {
  isObject,
  decode64,
  isShared: (v: object) => SHARED.has(v),
  fallback: (type: protobuf.Type, v: unknown) => type.encode(type.fromObject(v as object)).finish(),
  objectExpected: (name: string): never => {
    throw new TypeError(`${name}: object expected`);
  },
  arrayExpected: (name: string): never => {
    throw new TypeError(`${name}: array expected`);
  },
};

const WIRE: Record<string, number> = {
  double: 1,
  float: 5,
  int32: 0,
  uint32: 0,
  sint32: 0,
  fixed32: 5,
  sfixed32: 5,
  int64: 0,
  uint64: 0,
  sint64: 0,
  fixed64: 1,
  sfixed64: 1,
  bool: 0,
  string: 2,
  bytes: 2,
};

const tagOf = (id: number, wire: number) => ((id << 3) | wire) >>> 0;

/** Code converting the scalar at `src` as fromObject does, then writing it (without its tag). */
function scalarWrite(type: string, src: string): string {
  switch (type) {
    case 'double':
      return `w.f64(Number(${src}));`;
    case 'float':
      return `w.f32(Number(${src}));`;
    case 'uint32':
      return `w.u32(${src}>>>0);`;
    case 'fixed32':
      return `w.fixed32(${src}>>>0);`;
    case 'int32':
      return `w.i32(${src}|0);`;
    case 'sint32':
      return `w.s32(${src}|0);`;
    case 'sfixed32':
      return `w.fixed32(${src}|0);`;
    case 'int64':
      return `w.i64(${src},false,'varint');`;
    case 'uint64':
      return `w.i64(${src},true,'varint');`;
    case 'sint64':
      return `w.i64(${src},false,'zigzag');`;
    case 'fixed64':
      return `w.i64(${src},true,'fixed');`;
    case 'sfixed64':
      return `w.i64(${src},false,'fixed');`;
    case 'bool':
      return `w.bool(Boolean(${src}));`;
    case 'string':
      return `w.str(typeof ${src}==='string'?${src}:String(${src}));`;
    default:
      throw new Error(`no scalar writer for ${type}`);
  }
}

function compile(type: protobuf.Type): Encode {
  type.resolveAll();
  const helpers: Helpers = { ...HELPERS_BASE, entries: [], enums: [] };
  const ref = (t: protobuf.Type) => {
    const e = entryOf(t);
    let i = helpers.entries.indexOf(e);
    if (i < 0) i = helpers.entries.push(e) - 1;
    return `h.entries[${i}]`;
  };
  const enumRef = (e: protobuf.Enum) => {
    const m = new Map<string | number, number>();
    for (const [k, v] of Object.entries(e.values)) {
      m.set(k, v);
      m.set(v, v);
    }
    return `h.enums[${helpers.enums.push(m) - 1}]`;
  };
  // The message's own fields, as fromObject reads them, then written in id order.
  const fields = [...type.fieldsArray].sort((a, b) => a.id - b.id);
  const body: string[] = ['let v;'];
  let tmp = 0;
  // A message value at `src` written as a length-delimited field with `tag`.
  const messageWrite = (t: protobuf.Type, fieldName: string, src: string, tag: number) => {
    const r = ref(t);
    const at = `a${tmp++}`;
    // An Any written with "@type" (the JSON form), or a message instance, takes protobufjs' own path.
    const special =
      t.fullName === '.google.protobuf.Any'
        ? `${src}['@type']!==undefined||${src} instanceof h.Message`
        : `${src} instanceof h.Message`;
    const plain = `{const ${at}=w.begin();${r}.fn(${src},w);w.end(${at});}`;
    // A shared value: its length-prefixed body copied once encoded, then reused.
    const write = SHAREABLE.has(t.fullName)
      ? `if(h.isShared(${src})){const c=${r}.shared.get(${src});if(c!==undefined)w.raw(c);` +
        `else{const s=w.pos;${plain}${r}.shared.set(${src},Buffer.from(w.buf.subarray(s,w.pos)));}}else${plain}`
      : plain;
    return (
      `if(!h.isObject(${src}))h.objectExpected(${JSON.stringify(fieldName)});` +
      `w.u32(${tag});` +
      `if(${special}){w.bytes(h.fallback(${r}.type,${src}));}` +
      `else ${write}`
    );
  };
  for (const field of fields) {
    const f = field.resolve();
    if (f.delimited) throw new Error(`${f.fullName}: group fields are not supported`);
    const name = JSON.stringify(f.name);
    const fullName = f.fullName;
    body.push(`v=m[${name}];`);
    const rt = f.resolvedType;
    if (f instanceof protobuf.MapField) {
      const keyWire = WIRE[f.keyType] ?? 2;
      // protobufjs writes the key string as it is, through the key type's writer.
      const keyWrite =
        f.keyType === 'string'
          ? `w.str(k);`
          : f.keyType === 'bool'
            ? `w.bool(Boolean(k));`
            : scalarWrite(f.keyType, 'k');
      const entryStart = `w.u32(${tagOf(f.id, 2)});const e=w.begin();w.u32(${tagOf(1, keyWire)});${keyWrite}`;
      let entry: string;
      if (rt instanceof protobuf.Type) {
        entry = `const x=v[k];${entryStart}${messageWrite(rt, f.fullName, 'x', 18)}w.end(e);`;
      } else if (rt instanceof protobuf.Enum) {
        // An entry fromObject drops (unknown enum name) is left out whole.
        entry = `const x=typeof v[k]==='number'?v[k]:${enumRef(rt)}.get(v[k]);if(x===undefined)continue;${entryStart}w.u32(16);w.i32(x);w.end(e);`;
      } else if (f.type === 'bytes') {
        entry = `const x=typeof v[k]==='string'?h.decode64(v[k]):v[k];if(!(x.length>=0))continue;${entryStart}w.u32(18);w.bytes(x);w.end(e);`;
      } else {
        entry = `const x=v[k];${entryStart}w.u32(${tagOf(2, WIRE[f.type] ?? 2)});${scalarWrite(f.type, 'x')}w.end(e);`;
      }
      body.push(
        `if(v){if(!h.isObject(v))h.objectExpected(${JSON.stringify(f.fullName)});` +
          `for(const k of Object.keys(v)){${entry}}}`,
      );
      continue;
    }
    if (f.repeated) {
      let each: string;
      if (rt instanceof protobuf.Type) {
        each = `const x=v[i];` + messageWrite(rt, fullName, 'x', tagOf(f.id, 2));
        body.push(
          `if(v){if(!Array.isArray(v))h.arrayExpected(${JSON.stringify(fullName)});` +
            `for(let i=0;i<v.length;i++){${each}}}`,
        );
        continue;
      }
      // Repeated enums: an unknown name becomes the default, as fromObject fills arrays without holes.
      const conv =
        rt instanceof protobuf.Enum
          ? `const x=typeof v[i]==='number'?v[i]:(${enumRef(rt)}.get(v[i])??${Number(f.typeDefault)});`
          : f.type === 'bytes'
            ? `const x=typeof v[i]==='string'?h.decode64(v[i]):v[i];`
            : `const x=v[i];`;
      const wt = rt instanceof protobuf.Enum ? 'int32' : f.type;
      const write = rt instanceof protobuf.Enum ? `w.i32(x);` : wt === 'bytes' ? `w.bytes(x);` : scalarWrite(wt, 'x');
      if (f.packed && wt !== 'string' && wt !== 'bytes') {
        body.push(
          `if(v){if(!Array.isArray(v))h.arrayExpected(${JSON.stringify(fullName)});` +
            `if(v.length){w.u32(${tagOf(f.id, 2)});const e=w.begin();for(let i=0;i<v.length;i++){${conv}${write}}w.end(e);}}`,
        );
      } else {
        body.push(
          `if(v){if(!Array.isArray(v))h.arrayExpected(${JSON.stringify(fullName)});` +
            `for(let i=0;i<v.length;i++){${conv}w.u32(${tagOf(f.id, WIRE[wt] ?? 2)});${write}}}`,
        );
      }
      continue;
    }
    if (rt instanceof protobuf.Type) {
      body.push(`if(v!=null){${messageWrite(rt, fullName, 'v', tagOf(f.id, 2))}}`);
    } else if (rt instanceof protobuf.Enum) {
      // fromObject keeps numbers and known names, and drops anything else.
      body.push(
        `{const x=typeof v==='number'?v:${enumRef(rt)}.get(v);if(x!==undefined){w.u32(${tagOf(f.id, 0)});w.i32(x);}}`,
      );
    } else if (f.type === 'bytes') {
      body.push(
        `if(v!=null){const x=typeof v==='string'?h.decode64(v):v;if(x.length>=0){w.u32(${tagOf(f.id, 2)});w.bytes(x);}}`,
      );
    } else if (type.fullName === '.google.protobuf.Any' && f.name === 'type_url') {
      // Few distinct type URLs, each written many times (every packed filter).
      body.push(`if(v!=null){w.u32(${tagOf(f.id, 2)});w.strCached(typeof v==='string'?v:String(v));}`);
    } else {
      body.push(`if(v!=null){w.u32(${tagOf(f.id, WIRE[f.type] ?? 2)});${scalarWrite(f.type, 'v')}}`);
    }
  }
  const h = { ...helpers, Message: protobuf.Message };
  const make = new Function('h', `return function ${safeName(type.name)}$encodePlain(m,w){${body.join('')}};`) as (
    h: Helpers & { Message: typeof protobuf.Message },
  ) => Encode;
  return make(h);
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9_$]/g, '_');

const shared = new Writer();
let busy = false;

/**
 * `type.encode(type.fromObject(message)).finish()`, without the message
 * instances. A message instance is encoded by protobufjs itself. With
 * `own`, the bytes get memory of their own rather than a slice of Buffer's
 * shared pool (see owned() in resource.ts), without a second copy.
 */
export function encodePlain(type: protobuf.Type, message: object, own = false): Buffer {
  const entry = entryOf(type);
  if (!isObject(message)) HELPERS_BASE.objectExpected(type.fullName);
  if (
    message instanceof protobuf.Message ||
    (entry.isAny && (message as Record<string, unknown>)['@type'] !== undefined)
  ) {
    const bytes = HELPERS_BASE.fallback(type, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  const w = busy ? new Writer(1024) : shared;
  const wasBusy = busy;
  busy = true;
  w.pos = 0;
  try {
    entry.fn(message as Record<string, unknown>, w);
    const out = own ? Buffer.allocUnsafeSlow(w.pos) : Buffer.allocUnsafe(w.pos);
    w.buf.copy(out, 0, 0, w.pos);
    return out;
  } finally {
    busy = wasBusy;
  }
}
