// An AuthorizationPolicy whose rules hold invalid values is still applied, in
// a form that can only be stricter than what it says. Refusing the whole
// policy would fail open: a workload whose only ALLOW policy vanished accepts
// everything.
//
// istiod (`pilot/pkg/security/authz/model/model.go: rule.checkError`, called
// from `builder.go: build`): for ALLOW, a rule with a value it cannot
// translate is dropped, so nothing passes through that rule; for DENY and
// AUDIT, the bad value is skipped, so the rule matches more. We drop the whole
// field that holds the bad value rather than only the value: a typo'd CIDR in
// `ipBlocks: [good, typo]` may have meant any range, and only dropping the
// constraint denies at least what the author meant. CUSTOM is treated as DENY:
// dropping a constraint sends more requests to the external authorizer.
import type { AuthorizationPolicy, AuthzRule } from './istio';

const RULE_PROBLEM = /^spec\.rules\[(\d+)\](.*?): /;
const ENTRY = /^\.(from|to)\[(\d+)\]\.(source|operation)\.(\w+)/;
const LIST = /^\.(from|to)\b/;
const WHEN = /^\.when\[(\d+)\]/;

/** Which rule each problem is in, or undefined when some problem is not inside a rule. */
function byRule(problems: readonly string[]): Map<number, string[]> | undefined {
  const out = new Map<number, string[]>();
  for (const p of problems) {
    const m = RULE_PROBLEM.exec(p);
    if (!m) return undefined;
    const i = Number(m[1]);
    out.set(i, [...(out.get(i) ?? []), m[2] ?? '']);
  }
  return out;
}

/** A rule made wider: every constraint holding a problem is removed. */
function widen(rule: AuthzRule, subPaths: readonly string[]): AuthzRule {
  const r = structuredClone(rule) as Record<string, unknown> & AuthzRule;
  const dropWhen = new Set<number>();
  for (const sub of subPaths) {
    const entry = ENTRY.exec(sub);
    if (entry) {
      const [, side, j, holder, field] = entry as unknown as [string, 'from' | 'to', string, string, string];
      const e = (r[side] as Record<string, Record<string, unknown> | undefined>[] | undefined)?.[Number(j)];
      const h = e?.[holder];
      if (h) delete h[field];
      // Entries of from/to are ORed: one entry matching everything makes the whole list match everything.
      if (!h || Object.keys(h).length === 0) delete r[side];
      continue;
    }
    const when = WHEN.exec(sub);
    if (when) {
      dropWhen.add(Number(when[1]));
      continue;
    }
    const list = LIST.exec(sub);
    if (list) {
      delete r[list[1] as 'from' | 'to'];
      continue;
    }
    // A problem we cannot place: the rule matches every request.
    return {};
  }
  if (r.when) {
    r.when = r.when.filter((_, i) => !dropWhen.has(i));
    if (r.when.length === 0) delete r.when;
  }
  return r;
}

/**
 * The fail-closed form of a policy with invalid rules, carrying its problems
 * in `invalid`; undefined when a problem lies outside the rules (the policy as
 * a whole cannot be understood, so it is refused and its last good version stays).
 */
export function failClosedPolicy(
  policy: AuthorizationPolicy,
  problems: readonly string[],
): AuthorizationPolicy | undefined {
  const bad = byRule(problems);
  const rules = policy.spec?.rules;
  if (!bad || !rules) return undefined;
  const action = policy.spec?.action ?? 'ALLOW';
  if (action === 'ALLOW') {
    const kept = rules.map((_, i) => i).filter((i) => !bad.has(i));
    return {
      ...policy,
      spec: { ...policy.spec, rules: kept.map((i) => rules[i]!) },
      ruleIndexes: kept,
      invalid: [...problems],
    };
  }
  const fixed: AuthzRule[] = rules.map((r, i) => {
    const subs = bad.get(i);
    return subs ? widen(r, subs) : r;
  });
  return { ...policy, spec: { ...policy.spec, rules: fixed }, invalid: [...problems] };
}
