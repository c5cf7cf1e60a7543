// One served version of a CRD, compiled once: its `openAPIV3Schema` as a JSON
// Schema for ajv, and its `x-kubernetes-validations` CEL rules as a tree that
// follows the object, as the API server checks a custom resource
// (apiextensions-apiserver: structural schema validation, then
// `cel.Validator.Validate` at every schema node carrying rules).
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { RE2JS } from 're2js';
import { checkRules, compileRules, join } from './crd-rules';
import { parseIp } from './values';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

// Go's regexp (RE2) is what the API server matches `pattern` with.
const re2 = (pattern: string) => {
  const re = RE2JS.compile(pattern);
  // ajv keeps one matcher per toString(): it must name the pattern.
  return { test: (s: string) => re.test(s), toString: () => `/${pattern}/` };
};
re2.code = 'RE2';

let ajv: Ajv | undefined;
function engine(): Ajv {
  if (ajv) return ajv;
  // Formats the API server checks among those the CRDs we read use; it skips
  // int32/int64/date-time on input, and so do we.
  ajv = new Ajv({ allErrors: true, verbose: true, strict: false, validateFormats: true, code: { regExp: re2 } });
  ajv.addFormat('ipv4', (s: string) => parseIp(s).ok && !s.includes(':'));
  ajv.addFormat('ipv6', (s: string) => parseIp(s).ok && s.includes(':'));
  for (const f of ['int32', 'int64', 'date-time', 'byte', 'uri', 'hostname', 'duration', 'date'])
    ajv.addFormat(f, true);
  return ajv;
}

/** A Kubernetes structural schema (OpenAPI v3.0 dialect) as draft-07 JSON Schema. */
export function toJsonSchema(s: unknown): unknown {
  if (!isRecord(s)) return s;
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    switch (k) {
      case 'properties':
      case 'patternProperties':
        out[k] = isRecord(v) ? Object.fromEntries(Object.entries(v).map(([n, x]) => [n, toJsonSchema(x)])) : v;
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
        out[k] = typeof v === 'boolean' ? v : toJsonSchema(v);
        break;
      case 'allOf':
      case 'anyOf':
      case 'oneOf':
        out[k] = Array.isArray(v) ? v.map(toJsonSchema) : v;
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        // OpenAPI 3.0 spells these as flags beside minimum/maximum.
        if (v === true) out[k] = s[k === 'exclusiveMinimum' ? 'minimum' : 'maximum'];
        break;
      case 'type':
      case 'required':
      case 'enum':
      case 'pattern':
      case 'format':
      case 'minimum':
      case 'maximum':
      case 'minLength':
      case 'maxLength':
      case 'minItems':
      case 'maxItems':
      case 'minProperties':
      case 'maxProperties':
      case 'multipleOf':
        out[k] = v;
        break;
      default: // descriptions, defaults and x-kubernetes-* extensions
    }
  }
  if (s['exclusiveMinimum'] === true) delete out['minimum'];
  if (s['exclusiveMaximum'] === true) delete out['maximum'];
  if (s['x-kubernetes-list-type'] === 'set') out['uniqueItems'] = true;
  if (s['x-kubernetes-int-or-string'] === true) {
    delete out['type'];
    const anyOf = [{ type: 'integer' }, { type: 'string' }];
    out['allOf'] = [...((out['allOf'] as unknown[]) ?? []), { anyOf }];
  }
  if (s['nullable'] === true) {
    if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
    if (Array.isArray(out['enum'])) out['enum'] = [...(out['enum'] as unknown[]), null];
  }
  return out;
}

/** Where a schema sets defaults: the API server fills them in before any rule runs, and rules rely on them. */
interface DefaultNode {
  defaults?: [string, unknown][];
  props?: Map<string, DefaultNode>;
  items?: DefaultNode;
  values?: DefaultNode;
}

function compileDefaults(s: unknown): DefaultNode | undefined {
  if (!isRecord(s)) return undefined;
  const node: DefaultNode = {};
  if (isRecord(s.properties)) {
    for (const [k, x] of Object.entries(s.properties)) {
      if (isRecord(x) && x.default !== undefined) (node.defaults ??= []).push([k, x.default]);
      const child = compileDefaults(x);
      if (child) (node.props ??= new Map()).set(k, child);
    }
  }
  const items = compileDefaults(s.items);
  if (items) node.items = items;
  const values = compileDefaults(s.additionalProperties);
  if (values) node.values = values;
  return node.defaults || node.props || node.items || node.values ? node : undefined;
}

/** `v` with its schema's defaults filled in; parts without a default to add are shared, never changed. */
function withDefaults(node: DefaultNode, v: unknown): unknown {
  if (Array.isArray(v)) {
    if (!node.items) return v;
    const out = v.map((x) => withDefaults(node.items as DefaultNode, x));
    return out.some((x, i) => x !== v[i]) ? out : v;
  }
  if (!isRecord(v)) return v;
  let out: Json | undefined;
  const set = (k: string, x: unknown) => {
    out ??= { ...v };
    out[k] = x;
  };
  for (const [k, d] of node.defaults ?? []) if (v[k] === undefined) set(k, structuredClone(d));
  for (const [k, child] of node.props ?? []) {
    const x = (out ?? v)[k];
    if (x === undefined || x === null) continue;
    const y = withDefaults(child, x);
    if (y !== x) set(k, y);
  }
  if (node.values)
    for (const [k, x] of Object.entries(v)) {
      if (node.props?.has(k)) continue;
      const y = withDefaults(node.values, x);
      if (y !== x) set(k, y);
    }
  return out ?? v;
}

/** `/spec/rules/0/name` as `spec.rules[0].name`. */
function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out = /^\d+$/.test(seg) ? `${out}[${seg}]` : join(out, seg);
  }
  return out;
}

const shown = (v: unknown) => JSON.stringify(v) ?? String(v);

/** An ajv error in the API server's words (k8s.io/kube-openapi validate errors), so users can search them. */
function describe(e: ErrorObject): string {
  const at = fieldPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const name = at || 'object';
  switch (e.keyword) {
    case 'required':
      return `${join(at, String(p.missingProperty))}: Required value`;
    case 'type':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body must be of type ${String(p.type)}`;
    case 'enum':
      return `${name}: Unsupported value: ${shown(e.data)}: supported values: ${((p.allowedValues as unknown[]) ?? []).map(shown).join(', ')}`;
    case 'pattern':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body should match '${String(p.pattern)}'`;
    case 'maxLength':
      return `${name}: Too long: may not be more than ${String(p.limit)} bytes`;
    case 'minLength':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body should be at least ${String(p.limit)} chars long`;
    case 'maximum':
    case 'exclusiveMaximum':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body should be less than ${e.keyword === 'maximum' ? 'or equal to ' : ''}${String(p.limit)}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body should be greater than ${e.keyword === 'minimum' ? 'or equal to ' : ''}${String(p.limit)}`;
    case 'maxItems':
      return `${name}: Too many: ${Array.isArray(e.data) ? e.data.length : '?'}: must have at most ${String(p.limit)} items`;
    case 'minItems':
      return `${name}: Invalid value: ${Array.isArray(e.data) ? e.data.length : '?'}: ${name} in body should have at least ${String(p.limit)} items`;
    case 'uniqueItems':
      return `${name}[${String(p.j)}]: Duplicate value: ${shown(Array.isArray(e.data) ? e.data[p.j as number] : undefined)}`;
    case 'format':
      return `${name}: Invalid value: ${shown(e.data)}: ${name} in body must be of type ${String(p.format)}`;
    default:
      return `${name}: Invalid value: ${shown(e.data)}: ${e.message ?? e.keyword}`;
  }
}

/** anyOf/oneOf failures report each branch's errors too; the union's own error says enough. */
function withoutBranches(errs: readonly ErrorObject[]): ErrorObject[] {
  const unions = errs.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').map((e) => `${e.schemaPath}/`);
  return errs.filter((e) => !unions.some((u) => e.schemaPath.startsWith(u)));
}

export interface CompiledSchema {
  /**
   * Problems with an object of this kind and version, each `field.path: problem`;
   * with `old` (the stored version it replaces) transition rules are checked too.
   */
  validate(o: unknown, old?: unknown): string[];
  /** Problems of the transition rules alone, from `old` to `o`. */
  transitions(o: unknown, old: unknown): string[];
}

/** Compiles one version's `openAPIV3Schema`; `problems` gets what could not be compiled (those parts are skipped). */
export function compileSchema(schema: unknown, problems: string[] = []): CompiledSchema {
  let check: ValidateFunction | undefined;
  try {
    check = engine().compile(toJsonSchema(schema) as Json);
  } catch (e) {
    problems.push(`schema does not compile: ${e instanceof Error ? e.message : String(e)}`);
  }
  const rules = compileRules(schema, problems);
  const defaults = rules && compileDefaults(schema);
  const filled = (o: unknown) => (defaults && o !== undefined ? withDefaults(defaults, o) : o);
  return {
    validate(o, old) {
      if (check && !check(o)) {
        // CEL rules assume the schema's types; the API server would have refused the object already.
        return withoutBranches(check.errors ?? []).map(describe);
      }
      return rules ? checkRules(rules, filled(o), filled(old)) : [];
    },
    transitions(o, old) {
      if (!rules || (check && !check(o))) return [];
      return checkRules(rules, filled(o), filled(old), true);
    },
  };
}
