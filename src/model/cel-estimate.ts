// The cost estimate of a CRD rule, in outline of cel-go's estimator as the
// API server runs it when a CRD is written (see cel-cost.ts): every call and
// field access costs 1, a comprehension its range's largest size times its
// body, and a list or map is as large as its schema allows.
import type { parse } from '@bufbuild/cel';

type Expr = NonNullable<ReturnType<typeof parse>['expr']>;

type Json = Record<string, unknown>;
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** The API server's request size limit, which bounds lists and maps that declare no maximum. */
const MAX_REQUEST_BYTES = 3 * 1024 * 1024;

/** The least JSON a value of `schema` takes (apiextensions `estimateMinSizeJSON`, in outline). */
function minSize(schema: unknown): number {
  const t = isRecord(schema) ? schema.type : undefined;
  if (t === 'string') return 2 + (isRecord(schema) && typeof schema.minLength === 'number' ? schema.minLength : 0);
  if (t === 'boolean') return 4;
  if (t === 'integer' || t === 'number') return 1;
  return 2; // {} or []
}

/**
 * How many values of `schema` one request can hold at most, wherever they are
 * nested: the bound on a rule's evaluations under lists inside lists.
 */
export function maxInRequest(schema: unknown): number {
  return Math.floor((MAX_REQUEST_BYTES - 2) / (minSize(schema) + 1));
}

/** The largest number of elements a list or map of `schema` holds. */
export function maxElements(schema: unknown): number {
  if (!isRecord(schema)) return 1;
  if (schema.type === 'array') {
    if (typeof schema.maxItems === 'number') return schema.maxItems;
    return Math.floor((MAX_REQUEST_BYTES - 2) / (minSize(schema.items) + 1));
  }
  if (schema.type === 'object' && isRecord(schema.additionalProperties)) {
    if (typeof schema.maxProperties === 'number') return schema.maxProperties;
    // A key and its value: "k":v,
    return Math.floor((MAX_REQUEST_BYTES - 2) / (minSize(schema.additionalProperties) + 4));
  }
  return 1;
}

interface Est {
  cost: number;
  schema?: unknown;
}

function element(schema: unknown): unknown {
  if (!isRecord(schema)) return undefined;
  if (schema.type === 'array') return schema.items;
  if (schema.type === 'object') return { type: 'string' }; // a map's keys
  return undefined;
}

function field(schema: unknown, name: string): unknown {
  if (!isRecord(schema)) return undefined;
  if (isRecord(schema.properties) && name in schema.properties) return schema.properties[name];
  return isRecord(schema.additionalProperties) ? schema.additionalProperties : undefined;
}

function estimate(e: Expr | undefined, vars: ReadonlyMap<string, unknown>): Est {
  if (!e) return { cost: 0 };
  const k = e.exprKind;
  switch (k.case) {
    case 'identExpr':
      return { cost: 1, schema: vars.get(k.value.name) };
    case 'selectExpr': {
      const o = estimate(k.value.operand, vars);
      return { cost: o.cost + 1, schema: k.value.testOnly ? undefined : field(o.schema, k.value.field) };
    }
    case 'callExpr': {
      let cost = 1 + estimate(k.value.target, vars).cost;
      for (const a of k.value.args) cost += estimate(a, vars).cost;
      return { cost };
    }
    case 'listExpr': {
      let cost = 10;
      for (const a of k.value.elements) cost += estimate(a, vars).cost;
      return { cost };
    }
    case 'structExpr': {
      let cost = 40;
      for (const en of k.value.entries) cost += estimate(en.value, vars).cost;
      return { cost };
    }
    case 'comprehensionExpr': {
      const c = k.value;
      const range = estimate(c.iterRange, vars);
      const inner = new Map(vars);
      inner.set(c.iterVar, element(range.schema));
      inner.set(c.accuVar, undefined);
      const n = range.schema === undefined ? 1 : maxElements(range.schema);
      const body = estimate(c.loopCondition, inner).cost + estimate(c.loopStep, inner).cost;
      return {
        cost: range.cost + estimate(c.accuInit, vars).cost + n * body + estimate(c.result, inner).cost,
      };
    }
    default:
      return { cost: 0 };
  }
}

/** The estimated cost of one evaluation of `expr` with `self` (and `oldSelf`) of `schema`. */
export function estimateCost(expr: Expr, schema: unknown): number {
  return estimate(
    expr,
    new Map([
      ['self', schema],
      ['oldSelf', schema],
    ]),
  ).cost;
}

/** The API server's words for a cost past a limit: `by factor of 18.1x`, or `more than 100x`. */
export function overBy(cost: number, limit: number): string {
  const f = cost / limit;
  return f > 100 ? 'more than 100x' : `${f.toFixed(1)}x`;
}
