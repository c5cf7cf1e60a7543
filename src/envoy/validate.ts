import * as protobuf from 'protobufjs';
import { messageType } from './registry';
import { checkScalar, type Rules } from './validate-rules';

/** One violated constraint, with a path into the message. */
export interface Violation {
  path: string;
  message: string;
}

type Msg = protobuf.Message & Record<string, unknown>;

function rulesOf(opts: Array<Record<string, unknown>> | undefined, key: string): Rules | undefined {
  for (const o of opts ?? []) if (key in o) return o[key] as Rules;
  return undefined;
}

function has(m: Msg, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, name);
}

const WRAPPERS = new Set([
  'google.protobuf.UInt32Value',
  'google.protobuf.UInt64Value',
  'google.protobuf.Int32Value',
  'google.protobuf.Int64Value',
  'google.protobuf.DoubleValue',
  'google.protobuf.FloatValue',
  'google.protobuf.StringValue',
  'google.protobuf.BoolValue',
  'google.protobuf.BytesValue',
]);

export interface ValidateOptions {
  /** Deprecated fields (full names, `pkg.Message.field`) a consumer still needs. */
  allowDeprecated?: ReadonlySet<string>;
}

/**
 * Validates encoded bytes of `typeName` against the protoc-gen-validate rules
 * Envoy declares, descending into every nested message and every Any whose
 * type is loaded. Deprecated fields count as violations: Envoy warns or
 * refuses, and nothing we emit should need them, except the fields a
 * consumer other than Envoy names in `allowDeprecated`.
 */
export function validateMessage(typeName: string, bytes: Uint8Array, opts: ValidateOptions = {}): Violation[] {
  const type = messageType(typeName);
  const out: Violation[] = [];
  walk(type, type.decode(bytes) as Msg, typeName, { out, allowed: opts.allowDeprecated ?? NONE });
  return out;
}

const NONE: ReadonlySet<string> = new Set();

/** Where violations go, and which deprecated fields are allowed. */
interface Cx {
  out: Violation[];
  allowed: ReadonlySet<string>;
}

function walk(type: protobuf.Type, m: Msg, path: string, cx: Cx): void {
  if (type.fullName === '.google.protobuf.Any') {
    unpackAny(m, path, cx);
    return;
  }
  for (const oneof of type.oneofsArray) {
    const required = rulesOf(
      oneof.parsedOptions as unknown as Array<Record<string, unknown>> | undefined,
      '(validate.required)',
    );
    if (required && !oneof.oneof.some((n) => has(m, n)))
      cx.out.push({ path: `${path}.${oneof.name}`, message: 'one of the choices is required' });
  }
  for (const field of type.fieldsArray) {
    const fpath = `${path}.${field.name}`;
    const opts = field.parsedOptions as unknown as Array<Record<string, unknown>> | undefined;
    const present = field.repeated || field.map ? hasItems(m[field.name]) : has(m, field.name);
    if (present && opts?.some((o) => o.deprecated === true) && !cx.allowed.has(field.fullName.slice(1)))
      cx.out.push({ path: fpath, message: 'deprecated field is set' });
    const rules = rulesOf(opts, '(validate.rules)');
    if (field.partOf && !has(m, field.name)) continue;
    checkField(field, m[field.name], has(m, field.name), rules, fpath, cx);
  }
}

function hasItems(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}

function checkField(
  field: protobuf.Field,
  v: unknown,
  present: boolean,
  rules: Rules | undefined,
  path: string,
  cx: Cx,
): void {
  const msgType = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  if (field.map) {
    const entries = Object.entries((v ?? {}) as Record<string, unknown>);
    const r = rules?.map as Rules | undefined;
    if (r && 'min_pairs' in r && entries.length < Number(r.min_pairs))
      cx.out.push({ path, message: `needs at least ${String(r.min_pairs)} entries` });
    for (const [k, val] of entries) {
      const keyRules = (r?.keys as Rules | undefined) ?? undefined;
      if (keyRules)
        for (const [kind, kr] of Object.entries(keyRules))
          report(checkScalar(kind, kr as Rules, k), `${path}[${k}]`, cx.out);
      if (msgType && val) walk(msgType, val as Msg, `${path}[${k}]`, cx);
    }
    return;
  }
  if (field.repeated) {
    const items = Array.isArray(v) ? v : [];
    const r = rules?.repeated as Rules | undefined;
    if (r && 'min_items' in r && items.length < Number(r.min_items))
      cx.out.push({ path, message: `needs at least ${String(r.min_items)} items` });
    if (r && 'max_items' in r && items.length > Number(r.max_items))
      cx.out.push({ path, message: `allows at most ${String(r.max_items)} items` });
    if (r?.unique === true && new Set(items.map((x) => JSON.stringify(x))).size !== items.length)
      cx.out.push({ path, message: 'items must be unique' });
    const itemRules = r?.items as Rules | undefined;
    items.forEach((item, i) => checkOne(field, msgType, item, true, itemRules, `${path}[${i}]`, cx));
    return;
  }
  checkOne(field, msgType, v, present, rules, path, cx);
}

function checkOne(
  field: protobuf.Field,
  msgType: protobuf.Type | undefined,
  v: unknown,
  present: boolean,
  rules: Rules | undefined,
  path: string,
  cx: Cx,
): void {
  if (msgType) {
    const msgRules = rules?.message as Rules | undefined;
    if (!present) {
      const reqd =
        msgRules?.required === true ||
        (rules?.duration as Rules | undefined)?.required === true ||
        (rules?.any as Rules | undefined)?.required === true;
      if (reqd) cx.out.push({ path, message: 'is required' });
      return;
    }
    if (msgRules?.skip === true) return;
    const full = msgType.fullName.slice(1);
    if (full === 'google.protobuf.Duration' && rules?.duration)
      report(checkScalar('duration', rules.duration as Rules, v), path, cx.out);
    if (WRAPPERS.has(full) && rules) {
      for (const [kind, r] of Object.entries(rules))
        if (kind !== 'message') report(checkScalar(kind, r as Rules, (v as Msg).value), path, cx.out);
    }
    walk(msgType, v as Msg, path, cx);
    return;
  }
  if (field.resolvedType instanceof protobuf.Enum) {
    const er = rules?.enum as Rules | undefined;
    if (er?.defined_only === true && !Object.values(field.resolvedType.values).includes(Number(v)))
      cx.out.push({ path, message: `undefined enum value ${String(v)}` });
    return;
  }
  if (!rules) return;
  for (const [kind, r] of Object.entries(rules)) report(checkScalar(kind, r as Rules, v), path, cx.out);
}

function unpackAny(m: Msg, path: string, cx: Cx): void {
  const url = String(m.type_url ?? '');
  const name = url.slice(url.lastIndexOf('/') + 1);
  let inner: protobuf.Type;
  try {
    inner = messageType(name);
  } catch {
    // Extensions we do not load (Istio's own filters) cannot be checked here.
    return;
  }
  try {
    walk(inner, inner.decode(m.value as Uint8Array) as Msg, `${path}<${name}>`, cx);
  } catch (e) {
    cx.out.push({ path, message: `does not decode as ${name}: ${e instanceof Error ? e.message : String(e)}` });
  }
}

function report(problem: string | undefined, path: string, out: Violation[]): void {
  if (problem) out.push({ path, message: problem });
}
