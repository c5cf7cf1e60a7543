// A CRD's `x-kubernetes-validations` CEL rules as a tree that follows the
// object, checked as the API server checks them
// (apiextensions-apiserver `cel.Validator.Validate`): at every schema node
// with rules, transition rules (those naming `oldSelf`) only where an old
// value correlates (an update: same field, same map key, same list-map
// keys), within the per-rule and per-object cost limits (cel-cost.ts).
import { celList, celMap, CelScalar, isCelError, parse, plan, type CelInput, type CelResult } from '@bufbuild/cel';
import { k8sCelEnv } from './cel-k8s';
import { bounded, chargeIteration, metered, RUNTIME_BUDGET, STATIC_CRD_LIMIT, STATIC_RULE_LIMIT } from './cel-cost';
import { estimateCost, maxElements, maxInRequest, overBy } from './cel-estimate';

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

interface Rule {
  rule: string;
  message?: string;
  fieldPath?: string;
  /** Names `oldSelf`: run only with an old value. */
  transition: boolean;
  run: (self: CelInput, oldSelf: CelInput | undefined) => CelResult;
  runMessage?: (self: CelInput, oldSelf: CelInput | undefined) => CelResult;
}

/** The part of a schema that carries rules or list-map keys, and the way down to them. */
export interface RuleNode {
  rules: Rule[];
  /** `x-kubernetes-list-type: map`: items must differ in these keys. */
  mapKeys?: string[];
  props?: Map<string, RuleNode>;
  items?: RuleNode;
  values?: RuleNode;
}

let env: ReturnType<typeof k8sCelEnv> | undefined;
const ruleEnv = () => (env ??= metered(k8sCelEnv(), { self: CelScalar.DYN, oldSelf: CelScalar.DYN }));

const TRANSITION = /\boldSelf\b/;

/** Compile state shared by every node of one schema: problems, and the estimated cost so far. */
interface Compiling {
  problems: string[];
  total: number;
}

function compileNode(s: Json, at: string, cardinality: number, c: Compiling): Rule[] {
  const rules: Rule[] = [];
  const vs = s['x-kubernetes-validations'];
  (Array.isArray(vs) ? vs : []).forEach((v: unknown, i) => {
    if (!isRecord(v) || typeof v.rule !== 'string') return;
    const where = `openAPIV3Schema${at}.x-kubernetes-validations[${i}].rule`;
    // No optional type in @bufbuild/cel: such a rule cannot be written for it (none of the CRDs we read uses one).
    if (v.optionalOldSelf === true)
      return void c.problems.push(`${where}: optionalOldSelf is not supported here; the rule is not checked`);
    try {
      const parsed = parse(v.rule);
      const cost = parsed.expr ? estimateCost(parsed.expr, s) : 0;
      c.total += cost * cardinality;
      if (cost > STATIC_RULE_LIMIT)
        return void c.problems.push(
          `${where}: Forbidden: estimated rule cost exceeds budget by factor of ${overBy(cost, STATIC_RULE_LIMIT)} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)`,
        );
      const run = plan(ruleEnv(), parsed);
      const m = typeof v.messageExpression === 'string' ? plan(ruleEnv(), parse(v.messageExpression)) : undefined;
      rules.push({
        rule: v.rule,
        ...(typeof v.message === 'string' ? { message: v.message } : {}),
        ...(typeof v.fieldPath === 'string' ? { fieldPath: v.fieldPath } : {}),
        transition: TRANSITION.test(v.rule),
        run: (self, oldSelf) => run({ self, oldSelf: oldSelf ?? null }),
        ...(m
          ? { runMessage: (self: CelInput, oldSelf: CelInput | undefined) => m({ self, oldSelf: oldSelf ?? null }) }
          : {}),
      });
    } catch (e) {
      c.problems.push(`${at || 'schema'}: rule ${JSON.stringify(v.rule)} does not compile: ${String(e)}`);
    }
  });
  return rules;
}

function compileTree(s: unknown, at: string, cardinality: number, c: Compiling): RuleNode | undefined {
  if (!isRecord(s)) return undefined;
  const node: RuleNode = { rules: compileNode(s, at, cardinality, c) };
  const keys = s['x-kubernetes-list-map-keys'];
  if (s['x-kubernetes-list-type'] === 'map' && Array.isArray(keys)) node.mapKeys = keys.map(String);
  if (isRecord(s.properties)) {
    for (const [k, x] of Object.entries(s.properties)) {
      const child = compileTree(x, `${at}.${k}`, cardinality, c);
      if (child) (node.props ??= new Map()).set(k, child);
    }
  }
  const each = (child: unknown) => Math.min(cardinality * maxElements(s), maxInRequest(child));
  const items = compileTree(s.items, `${at}[]`, each(s.items), c);
  if (items) node.items = items;
  const values = compileTree(s.additionalProperties, `${at}[*]`, each(s.additionalProperties), c);
  if (values) node.values = values;
  return node.rules.length || node.mapKeys || node.props || node.items || node.values ? node : undefined;
}

/** Compiles a schema's rules; `problems` gets those that do not compile or cost too much (they are not checked). */
export function compileRules(schema: unknown, problems: string[]): RuleNode | undefined {
  const c: Compiling = { problems, total: 0 };
  const tree = compileTree(schema, '', 1, c);
  // The API server refuses such a CRD whole; its rules are still checked here, each within its limits.
  if (c.total > STATIC_CRD_LIMIT)
    problems.push(
      `openAPIV3Schema: Forbidden: x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema exceeds budget by factor of ${overBy(c.total, STATIC_CRD_LIMIT)}`,
    );
  return tree;
}

/**
 * A JSON value as CEL sees it: integers are int64, as the API server decodes
 * them. `memo` keeps each object's conversion for the rules of the nodes below it.
 */
function toCel(v: unknown, memo: Map<object, CelInput>): CelInput {
  if (typeof v === 'number') return Number.isInteger(v) ? BigInt(v) : v;
  if (v === null || typeof v !== 'object') return v as CelInput;
  const known = memo.get(v);
  if (known !== undefined) return known;
  let out: CelInput;
  // CEL's own list and map values: a plain object is converted again on every access (~20x slower).
  if (Array.isArray(v)) out = chargeIteration(celList(v.map((x) => toCel(x, memo))), Symbol.iterator);
  else {
    const o = new Map<string, CelInput>();
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) o.set(k, toCel(x, memo));
    out = chargeIteration(celMap(o), 'keys');
  }
  memo.set(v, out);
  return out;
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const join = (path: string, key: string) =>
  IDENT.test(key) ? (path ? `${path}.${key}` : key) : `${path}[${key}]`;

/** One check of an object: its problems, and what is left of its cost budget (negative: stop). */
interface Checking {
  out: string[];
  memo: Map<object, CelInput>;
  budget: number;
  /** Only transition rules (the others have run already). */
  onlyTransitions: boolean;
}

function runRules(node: RuleNode, value: unknown, old: unknown, path: string, c: Checking): void {
  let self: CelInput | undefined;
  for (const r of node.rules) {
    if (c.budget < 0) return;
    if (r.transition ? old === undefined || old === null : c.onlyTransitions) continue;
    self ??= toCel(value, c.memo);
    const oldSelf = r.transition ? toCel(old, c.memo) : undefined;
    const { value: res, outcome } = bounded(c.budget, () => r.run(self as CelInput, oldSelf));
    // fieldPath is relative to the rule's node, written `.a.b` or `['a']`.
    const where = r.fieldPath ? `${path}${r.fieldPath}` : path;
    const at = (where.startsWith('.') ? where.slice(1) : where) || 'object';
    if (!outcome.ok) {
      c.budget = -1;
      const shown = r.message?.trim() || r.rule.trim();
      c.out.push(
        outcome.perCall
          ? `${at}: Invalid value: "object": 'operation cancelled: actual cost limit exceeded': no further validation rules will be run due to call cost exceeds limit for rule: ${shown}`
          : `${at}: Invalid value: "object": validation failed due to running out of cost budget, no further validation rules will be run`,
      );
      return;
    }
    c.budget -= outcome.used;
    if (res === true) continue;
    if (isCelError(res)) {
      c.out.push(`${at}: Invalid value: rule ${JSON.stringify(r.rule)}: evaluation error: ${res.message}`);
      continue;
    }
    const m = r.runMessage && bounded(c.budget, () => r.runMessage?.(self as CelInput, oldSelf));
    if (m?.outcome.ok) c.budget -= m.outcome.used;
    const text = typeof m?.value === 'string' && m.value ? m.value : (r.message ?? `failed rule: ${r.rule}`);
    c.out.push(`${at}: Invalid value: "object": ${text}`);
  }
}

/** The old item a list-map item correlates with (same keys), as the API server pairs them. */
function oldItem(keys: readonly string[] | undefined, old: unknown, item: unknown): unknown {
  if (!keys || !Array.isArray(old) || !isRecord(item)) return undefined;
  return old.find((o) => isRecord(o) && keys.every((k) => JSON.stringify(o[k]) === JSON.stringify(item[k])));
}

function checkNode(node: RuleNode, value: unknown, old: unknown, path: string, c: Checking): void {
  if (value === null || value === undefined || c.budget < 0) return;
  if (node.rules.length > 0) runRules(node, value, old, path, c);
  if (Array.isArray(value)) {
    if (node.mapKeys && !c.onlyTransitions) {
      const seen = new Set<string>();
      value.forEach((x, i) => {
        if (!isRecord(x)) return;
        const key = JSON.stringify((node.mapKeys as string[]).map((k) => x[k] ?? null));
        if (seen.has(key)) {
          const shown = Object.fromEntries((node.mapKeys as string[]).map((k) => [k, x[k]]));
          c.out.push(`${path}[${i}]: Duplicate value: ${JSON.stringify(shown)}`);
        }
        seen.add(key);
      });
    }
    if (node.items)
      value.forEach((x, i) => checkNode(node.items as RuleNode, x, oldItem(node.mapKeys, old, x), `${path}[${i}]`, c));
    return;
  }
  if (!isRecord(value)) return;
  const was = isRecord(old) ? old : undefined;
  for (const [k, child] of node.props ?? []) checkNode(child, value[k], was?.[k], join(path, k), c);
  if (node.values)
    for (const [k, x] of Object.entries(value))
      if (!node.props?.has(k)) checkNode(node.values, x, was?.[k], join(path, k), c);
}

/**
 * Problems of `value` with the rules; with `old` (the stored version on an
 * update) transition rules run too. `onlyTransitions` runs those alone, for
 * a caller that has checked the rest already.
 */
export function checkRules(node: RuleNode, value: unknown, old?: unknown, onlyTransitions = false): string[] {
  const c: Checking = { out: [], memo: new Map(), budget: RUNTIME_BUDGET, onlyTransitions };
  checkNode(node, value, old, '', c);
  return c.out;
}
