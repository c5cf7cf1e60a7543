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

// Compiled once per pattern, not once per checked value: a cold start checks
// hundreds of thousands of strings against a few dozen patterns.
const PATTERNS = new Map<string, RegExp>();
function patternOf(source: string): RegExp {
  let re = PATTERNS.get(source);
  if (!re) PATTERNS.set(source, (re = new RegExp(source, 'u')));
  return re;
}

function stringRules(r: Rules, v: string): string | undefined {
  if (r.ignore_empty === true && v === '') return undefined;
  // Counted only when a rule needs them (most strings carry just min_len: 1).
  const lenRules = 'len' in r || 'min_len' in r || 'max_len' in r;
  const chars = lenRules ? codePoints(v) : 0;
  const bytes = 'min_bytes' in r || 'max_bytes' in r ? Buffer.byteLength(v) : 0;
  if ('const' in r && v !== r.const) return `must equal "${String(r.const)}"`;
  if ('len' in r && chars !== num(r.len)) return `must be ${num(r.len)} characters`;
  if ('min_len' in r && chars < num(r.min_len)) return `must have at least ${num(r.min_len)} characters`;
  if ('max_len' in r && chars > num(r.max_len)) return `must have at most ${num(r.max_len)} characters`;
  if ('min_bytes' in r && bytes < num(r.min_bytes)) return `must have at least ${num(r.min_bytes)} bytes`;
  if ('max_bytes' in r && bytes > num(r.max_bytes)) return `must have at most ${num(r.max_bytes)} bytes`;
  if (typeof r.prefix === 'string' && !v.startsWith(r.prefix)) return `must start with "${r.prefix}"`;
  if (typeof r.suffix === 'string' && !v.endsWith(r.suffix)) return `must end with "${r.suffix}"`;
  if (typeof r.contains === 'string' && !v.includes(r.contains)) return `must contain "${r.contains}"`;
  if (typeof r.not_contains === 'string' && v.includes(r.not_contains)) return `must not contain "${r.not_contains}"`;
  if (typeof r.pattern === 'string' && !patternOf(r.pattern).test(v)) return `must match /${r.pattern}/`;
  if (Array.isArray(r.in) && r.in.length > 0 && !r.in.includes(v)) return `must be one of ${r.in.join(', ')}`;
  if (Array.isArray(r.not_in) && r.not_in.includes(v)) return `must not be one of ${r.not_in.join(', ')}`;
  const strict = r.strict !== false;
  if (r.well_known_regex === 'HTTP_HEADER_NAME' && !(strict ? HEADER_NAME : NOT_NUL_CR_LF).test(v))
    return 'must be a valid HTTP header name';
  if (r.well_known_regex === 'HTTP_HEADER_VALUE' && !(strict ? HEADER_VALUE_STRICT : NOT_NUL_CR_LF).test(v))
    return 'must be a valid HTTP header value';
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
