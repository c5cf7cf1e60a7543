// Checks of single values against protoc-gen-validate rules, as declared in
// Envoy's protos (`(validate.rules)`). Each returns a problem or undefined.

export type Rules = Record<string, unknown>;

const HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// Non-strict header checks only forbid NUL, CR and LF, which is what Envoy does too.
const NOT_NUL_CR_LF = /^[^\u0000\n\r]*$/;
const HEADER_VALUE_STRICT = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;

function num(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return Number(v);
  if (v && typeof v === 'object' && 'toNumber' in v && typeof v.toNumber === 'function') return Number(v.toNumber());
  return Number(v);
}

function numberRules(r: Rules, v: number): string | undefined {
  if ('const' in r && v !== num(r.const)) return `must equal ${num(r.const)}`;
  const lt = 'lt' in r ? num(r.lt) : undefined;
  const lte = 'lte' in r ? num(r.lte) : undefined;
  const gt = 'gt' in r ? num(r.gt) : undefined;
  const gte = 'gte' in r ? num(r.gte) : undefined;
  if (lt !== undefined && !(v < lt)) return `must be < ${lt}`;
  if (lte !== undefined && !(v <= lte)) return `must be <= ${lte}`;
  if (gt !== undefined && !(v > gt)) return `must be > ${gt}`;
  if (gte !== undefined && !(v >= gte)) return `must be >= ${gte}`;
  if (Array.isArray(r.in) && r.in.length > 0 && !r.in.map(num).includes(v)) return `must be one of ${r.in.join(', ')}`;
  if (Array.isArray(r.not_in) && r.not_in.map(num).includes(v)) return `must not be one of ${r.not_in.join(', ')}`;
  return undefined;
}

/** Code points in `v` (what protoc-gen-validate's len rules count): its length less one per surrogate pair. */
function codePoints(v: string): number {
  let n = v.length;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < v.length) {
      const d = v.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

type StringCheck = (v: string, chars: number, bytes: number) => string | undefined;

/** What a string field's rules need, worked out once per rules object: only the checks its rules declare, in order. */
interface StringPlan {
  ignoreEmpty: boolean;
  chars: boolean;
  bytes: boolean;
  checks: StringCheck[];
}

const STRING_PLANS = new WeakMap<Rules, StringPlan>();

function stringPlan(r: Rules): StringPlan {
  const known = STRING_PLANS.get(r);
  if (known) return known;
  const checks: StringCheck[] = [];
  if ('const' in r) {
    const c = r.const;
    checks.push((v) => (v !== c ? `must equal "${String(c)}"` : undefined));
  }
  if ('len' in r) {
    const n = num(r.len);
    checks.push((_v, chars) => (chars !== n ? `must be ${n} characters` : undefined));
  }
  if ('min_len' in r) {
    const n = num(r.min_len);
    checks.push((_v, chars) => (chars < n ? `must have at least ${n} characters` : undefined));
  }
  if ('max_len' in r) {
    const n = num(r.max_len);
    checks.push((_v, chars) => (chars > n ? `must have at most ${n} characters` : undefined));
  }
  if ('min_bytes' in r) {
    const n = num(r.min_bytes);
    checks.push((_v, _c, bytes) => (bytes < n ? `must have at least ${n} bytes` : undefined));
  }
  if ('max_bytes' in r) {
    const n = num(r.max_bytes);
    checks.push((_v, _c, bytes) => (bytes > n ? `must have at most ${n} bytes` : undefined));
  }
  const { prefix, suffix, contains, not_contains: notContains, pattern, in: within, not_in: notIn } = r;
  if (typeof prefix === 'string')
    checks.push((v) => (!v.startsWith(prefix) ? `must start with "${prefix}"` : undefined));
  if (typeof suffix === 'string') checks.push((v) => (!v.endsWith(suffix) ? `must end with "${suffix}"` : undefined));
  if (typeof contains === 'string')
    checks.push((v) => (!v.includes(contains) ? `must contain "${contains}"` : undefined));
  if (typeof notContains === 'string')
    checks.push((v) => (v.includes(notContains) ? `must not contain "${notContains}"` : undefined));
  if (typeof pattern === 'string') {
    const re = new RegExp(pattern, 'u');
    checks.push((v) => (!re.test(v) ? `must match /${pattern}/` : undefined));
  }
  if (Array.isArray(within) && within.length > 0)
    checks.push((v) => (!within.includes(v) ? `must be one of ${within.join(', ')}` : undefined));
  if (Array.isArray(notIn))
    checks.push((v) => (notIn.includes(v) ? `must not be one of ${notIn.join(', ')}` : undefined));
  const strict = r.strict !== false;
  if (r.well_known_regex === 'HTTP_HEADER_NAME') {
    const re = strict ? HEADER_NAME : NOT_NUL_CR_LF;
    checks.push((v) => (!re.test(v) ? 'must be a valid HTTP header name' : undefined));
  }
  if (r.well_known_regex === 'HTTP_HEADER_VALUE') {
    const re = strict ? HEADER_VALUE_STRICT : NOT_NUL_CR_LF;
    checks.push((v) => (!re.test(v) ? 'must be a valid HTTP header value' : undefined));
  }
  const plan: StringPlan = {
    ignoreEmpty: r.ignore_empty === true,
    // Counted only when a rule needs them (most strings carry just min_len: 1).
    chars: 'len' in r || 'min_len' in r || 'max_len' in r,
    bytes: 'min_bytes' in r || 'max_bytes' in r,
    checks,
  };
  STRING_PLANS.set(r, plan);
  return plan;
}

// The rules are the protos' options, fixed once loaded: each rules object is
// turned into its list of checks once, not re-read for each of the hundreds
// of thousands of strings a cold start checks.
function stringRules(r: Rules, v: string): string | undefined {
  const plan = stringPlan(r);
  if (plan.ignoreEmpty && v === '') return undefined;
  const chars = plan.chars ? codePoints(v) : 0;
  const bytes = plan.bytes ? Buffer.byteLength(v) : 0;
  for (const check of plan.checks) {
    const problem = check(v, chars, bytes);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function durationSeconds(v: unknown): number {
  if (!v || typeof v !== 'object') return 0;
  const d = v as { seconds?: unknown; nanos?: unknown };
  return num(d.seconds ?? 0) + num(d.nanos ?? 0) / 1e9;
}

function durationRules(r: Rules, v: unknown): string | undefined {
  const s = durationSeconds(v);
  const bound = (k: string) => (k in r ? durationSeconds(r[k]) : undefined);
  const lt = bound('lt');
  const lte = bound('lte');
  const gt = bound('gt');
  const gte = bound('gte');
  if (lt !== undefined && !(s < lt)) return `must be shorter than ${lt}s`;
  if (lte !== undefined && !(s <= lte)) return `must be at most ${lte}s`;
  if (gt !== undefined && !(s > gt)) return `must be longer than ${gt}s`;
  if (gte !== undefined && !(s >= gte)) return `must be at least ${gte}s`;
  return undefined;
}

const NUMERIC = new Set([
  'uint32',
  'uint64',
  'int32',
  'int64',
  'sint32',
  'sint64',
  'fixed32',
  'fixed64',
  'sfixed32',
  'sfixed64',
  'double',
  'float',
]);

/** Applies the scalar part of `rules` to one value; `kind` is the rule family key. */
export function checkScalar(kind: string, r: Rules, v: unknown): string | undefined {
  if (NUMERIC.has(kind)) return numberRules(r, num(v));
  if (kind === 'string') return stringRules(r, typeof v === 'string' ? v : String(v ?? ''));
  if (kind === 'bytes') {
    const len = v instanceof Uint8Array ? v.length : 0;
    if ('min_len' in r && len < num(r.min_len)) return `must have at least ${num(r.min_len)} bytes`;
    if ('max_len' in r && len > num(r.max_len)) return `must have at most ${num(r.max_len)} bytes`;
    return undefined;
  }
  if (kind === 'duration') return durationRules(r, v);
  return undefined;
}
