import {
  type VirtualService,
  type VsDestination,
  type VsHttpMatch,
  type VsHttpRoute,
  type VsStringMatch,
  type World,
  readObject,
  recorded,
} from '../../model';
import type { Reads } from '../reads';
import { resolveShortname } from './vs-destination';

// A root VirtualService's `delegate` rules replaced by the delegate's http
// rules, merged with the delegating rule (virtualservice_controller.go:
// mergeVirtualServices, delegateVirtualServices; virtualservice.go:
// MergeHTTPRoutes, mergeHTTPRoute, mergeHTTPMatchRequests, hasConflict,
// stringMatchConflict). A delegate is a VirtualService without hosts; each
// side's destination hosts are completed in its own namespace, as istiod
// resolves short names before merging (ResolveVirtualServiceShortnames).

/** Why a delegating rule contributes nothing, as istiod logs it. */
export type DelegateProblem =
  | { kind: 'not-found'; namespace: string; name: string }
  | { kind: 'not-exported'; namespace: string; name: string }
  | { kind: 'conflict'; namespace: string; name: string; root: string; delegate: string };

export interface MergedHttp {
  rules: VsHttpRoute[];
  problems: DelegateProblem[];
}

/** Destination hosts completed in `vs`'s namespace, so the merged rule can be read under the root. */
function resolved(rule: VsHttpRoute, vs: VirtualService, domain: string): VsHttpRoute {
  const dest = (d: VsDestination): VsDestination => ({ ...d, host: resolveShortname(d.host ?? '', vs, domain) });
  return {
    ...rule,
    ...(rule.route ? { route: rule.route.map((r) => ({ ...r, destination: dest(r.destination) })) } : {}),
    ...(rule.mirror ? { mirror: dest(rule.mirror) } : {}),
    ...(rule.mirrors ? { mirrors: rule.mirrors.map((m) => ({ ...m, destination: dest(m.destination) })) } : {}),
  };
}

const regexOf = (m: VsStringMatch) => m.regex ?? '';
const prefixOf = (m: VsStringMatch) => m.prefix ?? '';
const exactOf = (m: VsStringMatch) => m.exact ?? '';

/** virtualservice.go: stringMatchConflict — the leaf must narrow the root's match. */
function stringConflict(root: VsStringMatch | undefined, leaf: VsStringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  if (regexOf(root) !== '' && (regexOf(leaf) !== '' || prefixOf(leaf) !== '' || exactOf(leaf) !== '')) return true;
  if (regexOf(leaf) !== '' && (regexOf(root) !== '' || prefixOf(root) !== '' || exactOf(root) !== '')) return true;
  const exact = exactOf(root);
  if (exact !== '') return prefixOf(leaf) !== '' || exactOf(leaf) !== exact;
  const prefix = prefixOf(root);
  if (prefix !== '') {
    if (prefixOf(leaf) !== '') return !prefixOf(leaf).startsWith(prefix);
    if (exactOf(leaf) !== '') return !exactOf(leaf).startsWith(prefix);
  }
  return true;
}

/** virtualservice.go: hasConflict. */
function matchConflict(root: VsHttpMatch, leaf: VsHttpMatch): boolean {
  const fields = ['uri', 'scheme', 'method', 'authority'] as const;
  if (fields.some((f) => stringConflict(root[f], leaf[f]))) return true;
  for (const map of ['headers', 'withoutHeaders', 'queryParams'] as const)
    for (const [k, v] of Object.entries(leaf[map] ?? {})) if (stringConflict(root[map]?.[k], v)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if ((root.port ?? 0) > 0 && (leaf.port ?? 0) > 0 && root.port !== leaf.port) return true;
  if ((root.sourceNamespace ?? '') !== '' && leaf.sourceNamespace !== root.sourceNamespace) return true;
  for (const [k, v] of Object.entries(leaf.sourceLabels ?? {}))
    if (root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v) return true;
  const rg = root.gateways ?? [];
  const lg = leaf.gateways ?? [];
  if (rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g)))) return true;
  return false;
}

const joinNames = (root: string | undefined, leaf: string | undefined) =>
  !leaf ? root : root ? `${root}-${leaf}` : leaf;

const mergeMaps = <T>(root: Record<string, T> | undefined, leaf: Record<string, T> | undefined) =>
  root || leaf ? { ...root, ...leaf } : undefined;

/** virtualservice.go: mergeHTTPMatchRequest — the leaf's fields, the root's where the leaf has none. */
function mergeMatch(root: VsHttpMatch, leaf: VsHttpMatch): VsHttpMatch {
  const out: VsHttpMatch = { ...leaf };
  const name = joinNames(root.name, leaf.name);
  if (name) out.name = name;
  for (const f of ['uri', 'scheme', 'method', 'authority'] as const) if (!out[f] && root[f]) out[f] = root[f];
  for (const f of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const m = mergeMaps(root[f], leaf[f]);
    if (m) out[f] = m;
  }
  const labels = mergeMaps(root.sourceLabels, leaf.sourceLabels);
  if (labels) out.sourceLabels = labels;
  if (!out.port && root.port) out.port = root.port;
  if (!out.sourceNamespace && root.sourceNamespace) out.sourceNamespace = root.sourceNamespace;
  if ((out.gateways ?? []).length === 0 && root.gateways) out.gateways = root.gateways;
  if (!out.statPrefix && root.statPrefix) out.statPrefix = root.statPrefix;
  return out;
}

/**
 * virtualservice.go: mergeHTTPMatchRequests — each leaf match merged with
 * every root match it does not conflict with; a leaf match that fits none
 * drops the whole rule (undefined).
 */
function mergeMatches(root: VsHttpMatch[], leaf: VsHttpMatch[]): VsHttpMatch[] | undefined {
  if (root.length === 0) return leaf;
  if (leaf.length === 0) return root;
  const out: VsHttpMatch[] = [];
  for (const l of leaf) {
    const fits = root.filter((r) => !matchConflict(r, l));
    if (fits.length === 0) return undefined;
    out.push(...fits.map((r) => mergeMatch(r, l)));
  }
  return out;
}

const INHERITED = [
  'rewrite',
  'directResponse',
  'timeout',
  'retries',
  'fault',
  'mirror',
  'mirrorPercent',
  'mirrorPercentage',
  'corsPolicy',
  'mirrors',
  'headers',
] as const;

/** virtualservice.go: mergeHTTPRoute — undefined when the matches conflict. */
function mergeRule(root: VsHttpRoute, leaf: VsHttpRoute): VsHttpRoute | undefined {
  const match = mergeMatches(root.match ?? [], leaf.match ?? []);
  if (!match) return undefined;
  const out: VsHttpRoute = { ...leaf, match };
  const name = joinNames(root.name, leaf.name);
  if (name) out.name = name;
  const fill = out as Record<string, unknown>;
  const from = root as Record<string, unknown>;
  for (const f of INHERITED) if (fill[f] === undefined && from[f] !== undefined) fill[f] = from[f];
  return out;
}

/** Whether a delegate is visible from `ns` (its exportTo, else the mesh default; `.` is its own namespace). */
function exportedTo(delegate: VirtualService, ns: string, defaults: readonly string[]): boolean {
  const own = delegate.metadata.namespace;
  const written = delegate.spec?.exportTo ?? [];
  const to = (written.length > 0 ? written : defaults).map((e) => (e === '.' ? own : e));
  return to.includes('*') || to.includes(ns);
}

/**
 * The root's http rules with each delegating rule replaced by the delegate's
 * rules merged into it. A delegate that is missing, has hosts (then it is a
 * root, not a delegate), or is not exported to the root's namespace makes
 * the delegating rule contribute nothing, as does each conflicting rule.
 */
export function mergedHttpRules(
  world: World,
  vs: VirtualService,
  domain: string,
  exportDefaults: readonly string[],
  reads?: Reads,
): MergedHttp {
  const http = vs.spec?.http ?? [];
  // Without a delegate the rules are read as written (virtualservice.go: isRootVs).
  if (!http.some((r) => r.delegate)) return { rules: http, problems: [] };
  const rules: VsHttpRoute[] = [];
  const problems: DelegateProblem[] = [];
  const rootNs = vs.metadata.namespace;
  for (const rule of http) {
    if (!rule.delegate) {
      rules.push(resolved(rule, vs, domain));
      continue;
    }
    const namespace = rule.delegate.namespace || rootNs;
    const name = rule.delegate.name ?? '';
    const delegate = readObject(recorded(world, reads), 'VirtualService', namespace, name);
    if (!delegate || (delegate.spec?.hosts ?? []).length > 0) {
      problems.push({ kind: 'not-found', namespace, name });
      continue;
    }
    if (!exportedTo(delegate, rootNs, exportDefaults)) {
      problems.push({ kind: 'not-exported', namespace, name });
      continue;
    }
    const root = resolved(rule, vs, domain);
    delete root.delegate;
    for (const leaf of delegate.spec?.http ?? []) {
      const merged = mergeRule(root, resolved(leaf, delegate, domain));
      if (merged) rules.push(merged);
      else problems.push({ kind: 'conflict', namespace, name, root: root.name ?? '', delegate: leaf.name ?? '' });
    }
  }
  return { rules, problems };
}
