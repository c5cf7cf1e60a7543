import * as protobuf from 'protobufjs';
import { messageType, typeForUrl } from '../envoy/registry';
import { contentVersion } from '../envoy/resource';
import { LOAD_CHECKS, type LoadCheck, type Violation } from './load';
import { checkScalar, type Rules } from './rules';

export type { Violation } from './load';

type Msg = protobuf.Message & Record<string, unknown>;
type Options = Array<Record<string, unknown>> | undefined;

function rulesOf(opts: Options, key: string): Rules | undefined {
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
  /** Report deprecated fields at all (default true); a type with nothing else to check is then not decoded. */
  deprecated?: boolean;
}

/** Whether `typeName` has anything to check at any depth (false: validateMessage returns [] without decoding). */
export function hasChecks(typeName: string, opts: ValidateOptions = {}): boolean {
  return !planOf(messageType(typeName), opts.deprecated === false ? PLANS_NO_DEPRECATED : PLANS).trivial;
}

/**
 * Validates encoded bytes of `typeName` against the protoc-gen-validate rules
 * Envoy declares and the load-time checks in load.ts, descending
 * into every nested message and every Any whose type is loaded. Deprecated
 * fields count as violations: Envoy warns or refuses, and nothing we emit
 * should need them, except the fields a consumer other than Envoy names in
 * `allowDeprecated`.
 */
export function validateMessage(typeName: string, bytes: Uint8Array, opts: ValidateOptions = {}): Violation[] {
  const type = messageType(typeName);
  const plans = opts.deprecated === false ? PLANS_NO_DEPRECATED : PLANS;
  // Nothing to check at any depth: not even decoded.
  if (planOf(type, plans).trivial) return [];
  const out: Violation[] = [];
  walk(type, type.decode(bytes) as Msg, typeName, { out, allowed: opts.allowDeprecated ?? NONE, plans });
  return out;
}

const NONE: ReadonlySet<string> = new Set();

/** Where violations go, and which deprecated fields are allowed. */
interface Cx {
  out: Violation[];
  allowed: ReadonlySet<string>;
  plans: Plans;
}

/** What checking one field needs, worked out once per field rather than once per message. */
interface FieldPlan {
  field: protobuf.Field;
  name: string;
  /** `pkg.Message.field`, for allowDeprecated. */
  fullName: string;
  deprecated: boolean;
  rules?: Rules;
  msgType?: protobuf.Type;
  /** The message type's full name without the leading dot (protobufjs computes it on every read). */
  msgName: string;
  enumValues?: ReadonlySet<number>;
}

/** What checking one message type needs; `trivial` types (nothing to check at any depth) are not walked. */
interface TypePlan {
  trivial: boolean;
  /** A google.protobuf.Any: its packed message is checked instead. */
  packed: boolean;
  load?: LoadCheck;
  requiredOneofs: { name: string; members: string[] }[];
  fields: FieldPlan[];
}

interface Plans {
  byType: Map<protobuf.Type, TypePlan>;
  deprecated: boolean;
}
const PLANS: Plans = { byType: new Map(), deprecated: true };
const PLANS_NO_DEPRECATED: Plans = { byType: new Map(), deprecated: false };
const IN_PROGRESS = new Set<protobuf.Type>();

/**
 * Rules the vendored protos still declare but current Envoy no longer has, so
 * configurations Envoy accepts (and istiod sends) are not refused: c-ares
 * without explicit resolvers uses the system's (istiod cluster_builder.go:
 * buildCluster sets only udp_max_queries).
 */
const RULES_ENVOY_DROPPED: ReadonlySet<string> = new Set([
  '.envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig.resolvers',
]);

function planOf(type: protobuf.Type, plans: Plans): TypePlan {
  const known = plans.byType.get(type);
  if (known) return known;
  const packed = type.fullName === '.google.protobuf.Any';
  const load = LOAD_CHECKS.get(type.fullName);
  const requiredOneofs = type.oneofsArray
    .filter((o) => rulesOf(o.parsedOptions as unknown as Options, '(validate.required)') !== undefined)
    .map((o) => ({ name: o.name, members: o.oneof }));
  IN_PROGRESS.add(type);
  const fields: FieldPlan[] = [];
  for (const field of type.fieldsArray) {
    field.resolve();
    const opts = field.parsedOptions as unknown as Options;
    const deprecated = plans.deprecated && (opts?.some((o) => o.deprecated === true) ?? false);
    const rules = RULES_ENVOY_DROPPED.has(field.fullName) ? undefined : rulesOf(opts, '(validate.rules)');
    const msgType = field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
    // A type met again while its own plan is being made is assumed to need walking.
    const deep = msgType !== undefined && (IN_PROGRESS.has(msgType) || !planOf(msgType, plans).trivial);
    if (!deprecated && !rules && !deep) continue;
    const enumValues =
      field.resolvedType instanceof protobuf.Enum ? new Set(Object.values(field.resolvedType.values)) : undefined;
    fields.push({
      field,
      name: field.name,
      fullName: field.fullName.slice(1),
      deprecated,
      rules,
      msgType,
      msgName: msgType?.fullName.slice(1) ?? '',
      enumValues,
    });
  }
  IN_PROGRESS.delete(type);
  const plan: TypePlan = {
    trivial: !packed && !load && requiredOneofs.length === 0 && fields.length === 0,
    packed,
    load,
    requiredOneofs,
    fields,
  };
  plans.byType.set(type, plan);
  return plan;
}

function walk(type: protobuf.Type, m: Msg, path: string, cx: Cx): void {
  const plan = planOf(type, cx.plans);
  if (plan.trivial) return;
  if (plan.packed) {
    unpackAny(m, path, cx);
    return;
  }
  plan.load?.(m, path, cx.out);
  for (const oneof of plan.requiredOneofs)
    if (!oneof.members.some((n) => has(m, n)))
      cx.out.push({ path: `${path}.${oneof.name}`, message: 'one of the choices is required' });
  for (const f of plan.fields) {
    const field = f.field;
    const present = has(m, f.name);
    if (f.deprecated && (field.repeated || field.map ? hasItems(m[f.name]) : present) && !cx.allowed.has(f.fullName))
      // Envoy loads a deprecated field and logs it (until a release makes it fatal): a warning.
      cx.out.push({ path: `${path}.${f.name}`, message: 'deprecated field is set', severity: 'warn' });
    if (field.partOf && !present) continue;
    if (!present && !f.rules) continue;
    checkField(f, m[f.name], present, `${path}.${f.name}`, cx);
  }
}

function hasItems(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== null && typeof v === 'object' && Object.keys(v).length > 0;
}

function checkField(f: FieldPlan, v: unknown, present: boolean, path: string, cx: Cx): void {
  const { field, rules, msgType } = f;
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
    for (let i = 0; i < items.length; i++) checkOne(f, items[i], true, itemRules, `${path}[${i}]`, cx);
    return;
  }
  checkOne(f, v, present, rules, path, cx);
}

function checkOne(f: FieldPlan, v: unknown, present: boolean, rules: Rules | undefined, path: string, cx: Cx): void {
  const msgType = f.msgType;
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
    const full = f.msgName;
    if (full === 'google.protobuf.Duration' && rules?.duration)
      report(checkScalar('duration', rules.duration as Rules, v), path, cx.out);
    if (rules && WRAPPERS.has(full)) {
      for (const [kind, r] of entriesOf(rules))
        if (kind !== 'message') report(checkScalar(kind, r as Rules, (v as Msg).value), path, cx.out);
    }
    walk(msgType, v as Msg, path, cx);
    return;
  }
  if (f.enumValues) {
    const er = rules?.enum as Rules | undefined;
    if (er?.defined_only === true && !f.enumValues.has(Number(v)))
      cx.out.push({ path, message: `undefined enum value ${String(v)}` });
    return;
  }
  if (!rules) return;
  for (const [kind, r] of entriesOf(rules)) report(checkScalar(kind, r as Rules, v), path, cx.out);
}

// A field's rules are fixed once the protos are loaded; their entries are
// listed once rather than for every value checked.
const ENTRIES = new WeakMap<Rules, [string, unknown][]>();
function entriesOf(rules: Rules): [string, unknown][] {
  let e = ENTRIES.get(rules);
  if (!e) ENTRIES.set(rules, (e = Object.entries(rules)));
  return e;
}

function unpackAny(m: Msg, path: string, cx: Cx): void {
  const url = String(m.type_url ?? '');
  const name = url.slice(url.lastIndexOf('/') + 1);
  const inner = typeForUrl(url);
  // Extensions we do not load (Istio's own filters) cannot be checked here.
  if (!inner) return;
  const value = m.value as Uint8Array;
  const base = `${path}<${name}>`;
  if (value.length < ANY_CACHE_MIN) {
    decodeAndWalk(inner, name, value, base, path, cx);
    return;
  }
  // Most typed_configs in a listener are unchanged when one chain changes:
  // their violations are kept by content, relative to the Any.
  const results = cx.plans.deprecated ? ANY_RESULTS : ANY_RESULTS_NO_DEPRECATED;
  let cache = results.get(cx.allowed);
  if (!cache) results.set(cx.allowed, (cache = new Map()));
  const key = `${name}\u0000${contentVersion(value)}`;
  let found = cache.get(key);
  if (!found) {
    const local: Violation[] = [];
    decodeAndWalk(inner, name, value, '', '', { out: local, allowed: cx.allowed, plans: cx.plans });
    found = local.length === 0 ? NO_VIOLATIONS : local;
    if (cache.size >= ANY_CACHE_LIMIT) cache.clear();
    cache.set(key, found);
  }
  for (const v of found) cx.out.push({ ...v, path: v.path === '' ? path : `${base}${v.path}` });
}

function decodeAndWalk(
  inner: protobuf.Type,
  name: string,
  value: Uint8Array,
  base: string,
  path: string,
  cx: Cx,
): void {
  try {
    walk(inner, inner.decode(value) as Msg, base, cx);
  } catch (e) {
    cx.out.push({ path, message: `does not decode as ${name}: ${e instanceof Error ? e.message : String(e)}` });
  }
}

/** Typed configs shorter than this are decoded again rather than hashed and looked up. */
const ANY_CACHE_MIN = 256;
const ANY_CACHE_LIMIT = 20_000;
const NO_VIOLATIONS: Violation[] = [];
const ANY_RESULTS = new WeakMap<ReadonlySet<string>, Map<string, readonly Violation[]>>();
const ANY_RESULTS_NO_DEPRECATED = new WeakMap<ReadonlySet<string>, Map<string, readonly Violation[]>>();

function report(problem: string | undefined, path: string, out: Violation[]): void {
  if (problem) out.push({ path, message: problem });
}
