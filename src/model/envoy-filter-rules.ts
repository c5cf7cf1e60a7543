// istiod's rules for an EnvoyFilter beyond the shape of its fields
// (`pkg/config/validation/envoyfilter/envoyfilter.go: ValidateEnvoyFilter`),
// with istiod's wording. What istiod only warns about (deprecated filter names
// and type URLs, filters without typed_config, a filter match under LISTENER
// or FILTER_CHAIN, over-long proxyVersion patterns, unknown fields) is not
// refused here either.
import { RE2JS } from 're2js';
import { rule, type Check } from './checks';
import { patchValueProblems } from './envoy-filter-value';
import { alphaSelectorProblems } from './istio-names';

type Json = Record<string, unknown>;
type Found = [string, string][];
const isRecord = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const rec = (v: unknown): Json | undefined => (isRecord(v) ? v : undefined);

/** istiod's bound on proxyVersion patterns it compiles (`maxProxyVersionLen`). */
const MAX_PROXY_VERSION_LEN = 1024;
const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);
const LISTENER_CLASS = new Set(['LISTENER', 'FILTER_CHAIN', 'NETWORK_FILTER', 'HTTP_FILTER']);
const ROUTE_CLASS = new Set(['ROUTE_CONFIGURATION', 'VIRTUAL_HOST', 'HTTP_ROUTE']);
const OBJECT_TYPES = ['listener', 'routeConfiguration', 'cluster'] as const;

/** The match's object type (the proto oneof), if one is set. */
const objectType = (match: Json | undefined) => OBJECT_TYPES.find((k) => match?.[k] !== undefined && match[k] !== null);

/** applyTo against match: istiod's `switch cp.ApplyTo`; returns false where istiod stops checking the patch. */
function matchProblems(applyTo: string, match: Json | undefined, at: string, out: Found): boolean {
  const kind = objectType(match);
  if (kind === undefined) return true;
  if (LISTENER_CLASS.has(applyTo)) {
    if (kind !== 'listener') {
      out.push([`${at}.match`, 'Envoy filter: applyTo for listener class objects cannot have non listener match']);
      return false;
    }
    const filter = rec(rec(rec(match?.listener)?.filterChain)?.filter);
    if (!filter) return true;
    const fat = `${at}.match.listener.filterChain.filter`;
    const name = typeof filter.name === 'string' ? filter.name : '';
    if (name === '') {
      out.push([`${fat}.name`, 'Envoy filter: filter match has no name to match on']);
      return false;
    }
    const sub = rec(filter.subFilter);
    if (!sub) return true;
    if (applyTo !== 'HTTP_FILTER') {
      out.push([`${fat}.subFilter`, 'Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only']);
      return false;
    }
    if (!HCM_NAMES.has(name)) {
      out.push([
        `${fat}.name`,
        'Envoy filter: subfilter match requires filter match with envoy.filters.network.http_connection_manager',
      ]);
      return false;
    }
    if (typeof sub.name !== 'string' || sub.name === '') {
      out.push([`${fat}.subFilter.name`, 'Envoy filter: subfilter match has no name to match on']);
      return false;
    }
  } else if (ROUTE_CLASS.has(applyTo) && kind !== 'routeConfiguration') {
    out.push([
      `${at}.match`,
      'Envoy filter: applyTo for http route class objects cannot have non route configuration match',
    ]);
  } else if (applyTo === 'CLUSTER' && kind !== 'cluster') {
    out.push([`${at}.match`, 'Envoy filter: applyTo for cluster class objects cannot have non cluster match']);
  }
  return true;
}

function patchProblems(cp: unknown, at: string, out: Found): void {
  if (!isRecord(cp)) return void out.push([at, 'Envoy filter: null config patch']);
  const match = rec(cp.match);
  // istiod does not check waypoint patches yet.
  if (match?.context === 'WAYPOINT') return;
  const applyTo = typeof cp.applyTo === 'string' ? cp.applyTo : 'INVALID';
  if (applyTo === 'INVALID') return void out.push([`${at}.applyTo`, 'Envoy filter: missing applyTo']);
  const patch = rec(cp.patch);
  if (!patch) return void out.push([`${at}.patch`, 'Envoy filter: missing patch']);
  const operation = typeof patch.operation === 'string' ? patch.operation : 'INVALID';
  if (operation === 'INVALID') return void out.push([`${at}.patch.operation`, 'Envoy filter: missing patch operation']);
  const value = patch.value;
  if (operation !== 'REMOVE' && (value === undefined || value === null))
    return void out.push([`${at}.patch.value`, 'Envoy filter: missing patch value for non-remove operation']);

  const version = rec(match?.proxy)?.proxyVersion;
  if (typeof version === 'string' && version !== '' && version.length <= MAX_PROXY_VERSION_LEN) {
    try {
      RE2JS.compile(version);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      return void out.push([
        `${at}.match.proxy.proxyVersion`,
        `Envoy filter: invalid regex for proxy version, [${why}]`,
      ]);
    }
  }
  if (!matchProblems(applyTo, match, at, out)) return;
  if (value === undefined || value === null) return;
  const problems = patchValueProblems(applyTo, value, `${at}.patch.value`);
  if (!problems) return void out.push([`${at}.applyTo`, `Envoy filter: unknown object type for applyTo ${applyTo}`]);
  for (const p of problems) {
    const i = p.indexOf(': ');
    out.push([p.slice(0, i), `Envoy filter: ${p.slice(i + 2)}`]);
  }
}

/** `envoyfilter.go: ValidateEnvoyFilter`, on the spec. */
export const envoyFilterRules: Check = rule((spec) => {
  const out: Found = [];
  const selector = rec(spec.workloadSelector);
  // The CRD's own rule (istiod leaves it to the API server); held here too for directory mode without CRDs.
  if (selector && spec.targetRefs !== undefined && spec.targetRefs !== null)
    out.push(['', 'only one of targetRefs or workloadSelector can be set']);
  for (const [k, p] of alphaSelectorProblems(rec(selector?.labels) ?? {}))
    out.push([`workloadSelector.labels${k ? `.${k}` : ''}`, p]);
  if (Array.isArray(spec.configPatches))
    spec.configPatches.forEach((cp, i) => patchProblems(cp, `configPatches[${i}]`, out));
  return out;
});
