import * as protobuf from 'protobufjs';
import { messageType, typeForUrl } from './registry';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Canonical proto3 JSON (what Envoy's admin config_dump and istioctl print):
// lowerCamelCase names, enums by name, 64-bit integers as strings, Duration
// as "1.500s", Any expanded with "@type", wrappers and Struct unwrapped. Done
// by walking the descriptors, since map keys and Struct keys must keep their
// spelling while field names change.

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** Converts encoded bytes of `typeName` to proto3 JSON. */
export function toProtoJson(typeName: string, bytes: Uint8Array): { [k: string]: Json } {
  const type = messageType(typeName);
  return messageJson(type, type.decode(bytes) as Msg) as { [k: string]: Json };
}

type Msg = protobuf.Message & Record<string, unknown>;

function has(m: Msg, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, k);
}

function messageJson(type: protobuf.Type, m: Msg): Json {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return anyJson(m);
    case '.google.protobuf.Duration':
      return durationJson(m);
    case '.google.protobuf.Timestamp':
      return new Date(Number(m.seconds ?? 0) * 1000 + Number(m.nanos ?? 0) / 1e6).toISOString();
    case '.google.protobuf.Struct':
      return structJson(m);
    case '.google.protobuf.Value':
      return valueJson(m);
    case '.google.protobuf.ListValue':
      return ((m.values as Msg[] | undefined) ?? []).map(valueJson);
    case '.google.protobuf.Empty':
      return {};
  }
  if (type.fullName.startsWith('.google.protobuf.') && type.fullName.endsWith('Value') && type.fields.value) {
    return scalarJson(type.fields.value, m.value);
  }
  const out: { [k: string]: Json } = {};
  for (const field of type.fieldsArray) {
    const v = m[field.name];
    if (field.map) {
      const entries = Object.entries((v ?? {}) as Record<string, unknown>);
      if (entries.length === 0) continue;
      const obj: { [k: string]: Json } = {};
      for (const [k, x] of entries) obj[k] = fieldValueJson(field, x);
      out[camel(field.name)] = obj;
    } else if (field.repeated) {
      if (!Array.isArray(v) || v.length === 0) continue;
      out[camel(field.name)] = v.map((x) => fieldValueJson(field, x));
    } else if (has(m, field.name)) {
      // Proto3 JSON omits scalars at their default unless they are in a oneof.
      if (!field.partOf && isDefault(field, v)) continue;
      out[camel(field.name)] = fieldValueJson(field, v);
    }
  }
  return out;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Type) return false;
  if (v === 0 || v === false || v === '' || v === null || v === undefined) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  return typeof v === 'object' && 'toNumber' in v && (v as { toNumber(): number }).toNumber() === 0;
}

/**
 * Fields Envoy's protos mark sensitive (a private key, a password) are never
 * rendered: every string in them reads `[redacted]`, as Envoy's own config
 * dump does (MessageUtil::redact). JSON is what debug pages, proxy-config
 * and golden files print; the wire encoding keeps the value.
 */
const SENSITIVE = '(udpa.annotations.sensitive)';
export const REDACTED = '[redacted]';

function redacted(j: Json): Json {
  if (typeof j === 'string') return REDACTED;
  if (Array.isArray(j)) return j.map(redacted);
  if (j !== null && typeof j === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(j)) out[k] = redacted(x);
    return out;
  }
  return j;
}

function fieldValueJson(field: protobuf.Field, v: unknown): Json {
  if (field.options?.[SENSITIVE] === true) return redacted(plainFieldValueJson(field, v));
  return plainFieldValueJson(field, v);
}

function plainFieldValueJson(field: protobuf.Field, v: unknown): Json {
  if (field.resolvedType instanceof protobuf.Type) return messageJson(field.resolvedType, v as Msg);
  if (field.resolvedType instanceof protobuf.Enum) {
    return field.resolvedType.valuesById[Number(v)] ?? Number(v);
  }
  return scalarJson(field, v);
}

function scalarJson(field: protobuf.Field, v: unknown): Json {
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64'].includes(field.type)) return String(v ?? 0);
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v && typeof v === 'object' && 'toString' in v) return String(v);
  return null;
}

function durationJson(m: Msg): string {
  const s = Number(m.seconds ?? 0);
  const n = Number(m.nanos ?? 0);
  if (n === 0) return `${s}s`;
  const frac = String(Math.abs(n)).padStart(9, '0').replace(/0+$/, '');
  return `${s === 0 && n < 0 ? '-' : ''}${s}.${frac}s`;
}

function structJson(m: Msg): Json {
  const out: { [k: string]: Json } = {};
  const fields = (m.fields ?? {}) as Record<string, Msg>;
  for (const k of Object.keys(fields).sort()) out[k] = valueJson(fields[k] as Msg);
  return out;
}

// protobufjs defines the well-known Struct types with camelCase field names.
function valueJson(m: Msg): Json {
  if (has(m, 'stringValue')) return String(m.stringValue);
  if (has(m, 'numberValue')) return Number(m.numberValue);
  if (has(m, 'boolValue')) return Boolean(m.boolValue);
  if (has(m, 'structValue')) return structJson(m.structValue as Msg);
  if (has(m, 'listValue')) return (((m.listValue as Msg).values as Msg[] | undefined) ?? []).map(valueJson);
  return null;
}

function anyJson(m: Msg): Json {
  const url = String(m.type_url ?? '');
  const inner = typeForUrl(url);
  if (!inner) return { '@type': url, value: Buffer.from((m.value as Uint8Array | undefined) ?? []).toString('base64') };
  const body = messageJson(inner, inner.decode((m.value as Uint8Array | undefined) ?? new Uint8Array()) as Msg);
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) return { '@type': url, ...body };
  return { '@type': url, value: body };
}
