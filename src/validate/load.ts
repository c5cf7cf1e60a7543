// Checks Envoy makes when it loads a resource that protoc-gen-validate rules
// cannot express. Each is keyed by the message it inspects; the walker in
// validate.ts calls it for every such message, wherever it is nested.
import { RE2JS } from 're2js';

/** One problem found in a resource, with a path into it. */
export interface Violation {
  path: string;
  message: string;
  /**
   * `warn`: Envoy accepts the resource but logs, and may run without the
   * part (an inline JWKS it cannot parse leaves its provider without keys; a
   * deprecated field works until a release removes it). Such a resource is
   * still served; every other violation means Envoy NACKs it.
   */
  severity?: 'warn';
}

type Msg = Record<string, unknown>;
export type LoadCheck = (m: Msg, path: string, out: Violation[]) => void;

// A regex repeats across resources and versions (every route of a service
// often carries the same ones): compiled once, up to a bound.
const REGEX_RESULTS = new Map<string, string | undefined>();
const REGEX_CACHE_LIMIT = 10_000;

function re2Problem(pattern: string): string | undefined {
  if (REGEX_RESULTS.has(pattern)) return REGEX_RESULTS.get(pattern);
  let problem: string | undefined;
  try {
    RE2JS.compile(pattern);
  } catch (e) {
    problem = `is not a valid RE2 regular expression: ${e instanceof Error ? e.message : String(e)}`;
  }
  if (REGEX_RESULTS.size >= REGEX_CACHE_LIMIT) REGEX_RESULTS.clear();
  REGEX_RESULTS.set(pattern, problem);
  return problem;
}

/**
 * Envoy compiles every `safe_regex` with RE2 when the resource loads and
 * refuses the resource when it does not compile (source/common/common/regex.cc:
 * CompiledGoogleReMatcher). RE2 has no lookaround or backreferences, which
 * Gateway API's "RegularExpression" leaves to the implementation.
 */
const regexMatcher: LoadCheck = (m, path, out) => {
  const regex = typeof m.regex === 'string' ? m.regex : '';
  if (regex === '') return; // min_len in validate.rules reports it
  const problem = re2Problem(regex);
  if (problem) out.push({ path: `${path}.regex`, message: problem });
};

/**
 * An inline JWKS Envoy cannot parse is not a NACK: Envoy logs a warning and
 * the provider has no keys, so every token of that issuer fails
 * (jwt_authn/jwks_cache.cc: JwksDataImpl). Reported, not refused.
 */
const jwtProvider: LoadCheck = (m, path, out) => {
  const local = m.local_jwks as Msg | undefined;
  const inline = local && typeof local.inline_string === 'string' ? local.inline_string : undefined;
  if (inline === undefined) return;
  const problem = jwksProblem(inline);
  if (problem)
    out.push({
      path: `${path}.local_jwks.inline_string`,
      message: `${problem}: no token of this issuer will verify`,
      severity: 'warn',
    });
};

function jwksProblem(text: string): string | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return `is not JSON (${e instanceof Error ? e.message : String(e)})`;
  }
  const keys = doc && typeof doc === 'object' ? (doc as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(keys)) return 'is not a JWKS (no "keys" array)';
  if (keys.length === 0) return 'has no keys';
  return undefined;
}

export const LOAD_CHECKS: ReadonlyMap<string, LoadCheck> = new Map([
  ['.envoy.type.matcher.v3.RegexMatcher', regexMatcher],
  ['.envoy.extensions.filters.http.jwt_authn.v3.JwtProvider', jwtProvider],
]);
