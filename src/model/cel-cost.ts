// The cost limits the API server puts on a CRD's CEL rules
// (k8s.io/apiserver/pkg/apis/cel/config.go), enforced two ways:
// - at CRD load, an estimate from the rule and the schema's bounds
//   (apiextensions validation: `estimated rule cost exceeds budget`), after
//   cel-go's estimator in outline: a comprehension costs its range's largest
//   size times its body, a list or map without maxItems/maxProperties is as
//   large as the request size limit allows;
// - at evaluation, a bounded run: @bufbuild/cel has no cost tracking, so
//   every function call is charged (1, plus a tenth of its string arguments'
//   length and the size of its list arguments, as cel-go charges them), and
//   every element a comprehension takes from the object; a rule is stopped
//   as soon as it passes the per-call limit or the object's remaining budget.
import { celEnv, type CelEnv, type CelFunc, type CelType, type CelValue } from '@bufbuild/cel';

/** `celconfig.PerCallLimit`: one rule's evaluation. */
export const PER_CALL_LIMIT = 1_000_000;
/** `celconfig.RuntimeCELCostBudget`: every rule of one object together. */
export const RUNTIME_BUDGET = 10_000_000;
/** `apiextensions.StaticEstimatedCostLimit`: one rule's estimate. */
export const STATIC_RULE_LIMIT = 10_000_000;
/** `apiextensions.StaticEstimatedCRDCostLimit`: every rule of one schema. */
export const STATIC_CRD_LIMIT = 100_000_000;

/** The running evaluation's charges; `limit` is Infinity outside one. */
const meter = { used: 0, limit: Infinity, exceeded: false };

class CostExceeded extends Error {}

function charge(n: number): void {
  meter.used += n;
  if (meter.used > meter.limit) {
    meter.exceeded = true;
    // Thrown past the evaluator's operators to plan()'s own catch: the rule stops here.
    throw new CostExceeded('operation cancelled: actual cost limit exceeded');
  }
}

function sizeOf(v: CelValue | undefined): number {
  if (typeof v === 'string') return Math.ceil(v.length * 0.1);
  if (v !== null && typeof v === 'object' && 'size' in v && typeof v.size === 'number') return v.size;
  return 0;
}

/** An environment whose every function charges the meter before it runs. */
export function metered(base: CelEnv, variables: Record<string, CelType>): CelEnv {
  const funcs: CelFunc[] = [];
  for (const f of base.funcs) {
    const call: CelFunc['call'] = (id, target, args) => {
      let cost = 1 + sizeOf(target);
      for (const a of args) cost += sizeOf(a);
      charge(cost);
      return f.call(id, target, args);
    };
    funcs.push(Object.create(f, { call: { value: call } }) as CelFunc);
  }
  return celEnv({ variables, funcs });
}

/** Makes iterating `v` (a list or map converted from the object) charge one per element. */
export function chargeIteration<T extends object>(v: T, method: typeof Symbol.iterator | 'keys'): T {
  const own = (v as unknown as Record<PropertyKey, () => Iterable<unknown>>)[method];
  if (typeof own !== 'function') return v;
  const bound = own.bind(v);
  Object.defineProperty(v, method, {
    value: function* charged() {
      for (const x of bound()) {
        charge(1);
        yield x;
      }
    },
  });
  return v;
}

export type Outcome = { ok: true; used: number } | { ok: false; used: number; perCall: boolean };

/** Runs `fn` with at most `remaining` to spend (and never more than the per-call limit). */
export function bounded<T>(remaining: number, fn: () => T): { value: T; outcome: Outcome } {
  meter.used = 0;
  meter.exceeded = false;
  meter.limit = Math.min(PER_CALL_LIMIT, remaining);
  try {
    const value = fn();
    const used = meter.used;
    return {
      value,
      outcome: meter.exceeded ? { ok: false, used, perCall: meter.limit === PER_CALL_LIMIT } : { ok: true, used },
    };
  } finally {
    meter.limit = Infinity;
  }
}
