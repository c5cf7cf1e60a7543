import { setFlagsFromString } from 'node:v8';
import type { OutputTypeMap } from '../envoy';
import type { Connection } from './connection';

type NodeMatcher = OutputTypeMap['envoy.type.matcher.v3.NodeMatcher'];
type StringMatcher = OutputTypeMap['envoy.type.matcher.v3.StringMatcher'];

// A CSDS caller chooses the pattern, so a backtracking regex would let one
// request stall the server. V8's linear-time engine (the `l` flag, behind a
// flag of its own, read when a pattern is compiled) runs in time proportional
// to the input, as RE2 does for Envoy; patterns it cannot run that way are
// refused, and so is every pattern if this runtime has no such engine.
setFlagsFromString('--enable-experimental-regexp-engine');
const LINEAR = (() => {
  try {
    return new RegExp('a', 'l').test('a');
  } catch {
    return false;
  }
})();

/**
 * What one CSDS request may ask of the matcher. Linear is not cheap: V8's
 * linear engine costs about (id length × pattern length) steps per test, and
 * several times that with capture groups (measured here: 64 matchers of
 * `(.*)`×250 against 5 proxies took 12 s). So patterns are short, groups
 * few, and the whole request's estimated work — over the proxies the caller
 * may see, not every proxy — has a budget; past it the request is refused
 * before any matching. A deadline backs the estimate up.
 */
export interface MatchLimits {
  maxMatchers: number;
  maxRegexLength: number;
  maxRegexGroups: number;
  /** Estimated steps (see regexCost) one request may take, over all proxies and matchers. */
  maxWork: number;
  /** Longest matching may run for one request, whatever the estimate said. */
  deadlineMs: number;
}

export const DEFAULT_MATCH_LIMITS: MatchLimits = {
  maxMatchers: 64,
  maxRegexLength: 256,
  maxRegexGroups: 16,
  // About 35 ns a step on the slowest patterns measured: some 70 ms.
  maxWork: 2_000_000,
  deadlineMs: 250,
};

/** A request whose matching would cost more than MatchLimits allow. */
export class MatchBudgetError extends Error {}

interface IdTest {
  test(id: string): boolean;
  /** Estimated steps to test one id of this length. */
  cost(idLength: number): number;
}

/** Capture groups in a pattern, over-counted (an escaped or bracketed paren counts too). */
function groupsIn(src: string): number {
  let n = 0;
  for (let i = 0; i < src.length; i++) if (src[i] === '(' && src[i + 1] !== '?') n++;
  return n;
}

function linearRegex(src: string, limits: MatchLimits): IdTest {
  if (!LINEAR) throw new Error('node_id safe_regex matchers are not supported on this runtime');
  if (src.length > limits.maxRegexLength) {
    throw new Error(`node_id regex is ${src.length} characters; the limit is ${limits.maxRegexLength}`);
  }
  const groups = groupsIn(src);
  if (groups > limits.maxRegexGroups) {
    throw new Error(`node_id regex has ${groups} capture groups; the limit is ${limits.maxRegexGroups}`);
  }
  let re: RegExp;
  try {
    // Compiled alone first: only a pattern that is whole by itself may be
    // anchored, or `a)|(.*` would escape the anchors.
    new RegExp(src, 'l');
    re = new RegExp(`^(?:${src})$`, 'l');
  } catch (e) {
    throw new Error(
      `node_id regex ${JSON.stringify(src.slice(0, 100))} is not supported: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const perChar = (src.length + 1) * (1 + groups / 8);
  return { test: (s) => re.test(s), cost: (len) => len * perChar };
}

const cheap = (test: (s: string) => boolean): IdTest => ({ test, cost: () => 1 });

function stringMatcher(m: StringMatcher | null, limits: MatchLimits): IdTest {
  if (!m) return cheap(() => true);
  switch (m.match_pattern) {
    case 'exact': {
      const want = m.exact ?? '';
      const lower = want.toLowerCase();
      return cheap(m.ignore_case ? (s) => s.toLowerCase() === lower : (s) => s === want);
    }
    case 'prefix': {
      const p = m.prefix ?? '';
      return cheap((s) => s.startsWith(p));
    }
    case 'suffix': {
      const p = m.suffix ?? '';
      return cheap((s) => s.endsWith(p));
    }
    case 'contains': {
      const p = m.contains ?? '';
      return cheap((s) => s.includes(p));
    }
    case 'safe_regex':
      return linearRegex(m.safe_regex?.regex ?? '', limits);
    default:
      return cheap(() => true);
  }
}

/** The ids a node matcher is tried against: the raw node id and `<pod>.<ns>`. */
function idsOf(c: Connection): [string, string] {
  return [c.proxy?.nodeId ?? '', c.proxy?.proxyId ?? ''];
}

/**
 * The connections among `candidates` that any of `matchers` accepts (all of
 * them when there are none). Throws an Error for a matcher that cannot be
 * used and a MatchBudgetError when the request would cost too much.
 */
export function selectNodes(
  matchers: readonly NodeMatcher[],
  candidates: readonly Connection[],
  limits: MatchLimits = DEFAULT_MATCH_LIMITS,
  now: () => number = performance.now.bind(performance),
): Connection[] {
  if (matchers.length > limits.maxMatchers) {
    throw new Error(`${matchers.length} node matchers; the limit is ${limits.maxMatchers}`);
  }
  if (matchers.length === 0) return [...candidates];
  const tests = matchers.map((m) => stringMatcher(m.node_id, limits));
  let work = 0;
  for (const c of candidates) for (const id of idsOf(c)) for (const t of tests) work += t.cost(id.length);
  if (work > limits.maxWork) {
    throw new MatchBudgetError(
      `matching ${tests.length} node matchers against ${candidates.length} proxies would take about ${Math.round(work)} steps; ` +
        `the limit is ${limits.maxWork}: use fewer or simpler matchers`,
    );
  }
  const deadline = now() + limits.deadlineMs;
  const out: Connection[] = [];
  for (const c of candidates) {
    if (now() > deadline) {
      throw new MatchBudgetError(`node matching ran past ${limits.deadlineMs} ms; use fewer or simpler matchers`);
    }
    const ids = idsOf(c);
    if (tests.some((t) => ids.some((id) => t.test(id)))) out.push(c);
  }
  return out;
}
