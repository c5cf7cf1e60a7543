import { pack, type TypeMap } from '../../envoy';
import * as names from '../names';
import { parseIpOrCidr, parsePortString } from '../../model/values';

// The matcher shapes istiod's authz builder emits (pilot/pkg/security/authz/matcher/),
// written from their behaviour: "*" alone is "present", "*x" a suffix, "x*" a prefix.

export type StringMatcher = TypeMap['envoy.type.matcher.v3.StringMatcher'];
export type ValueMatcher = TypeMap['envoy.type.matcher.v3.ValueMatcher'];
export type MetadataMatcher = TypeMap['envoy.type.matcher.v3.MetadataMatcher'];
export type HeaderMatcher = TypeMap['envoy.config.route.v3.HeaderMatcher'];
export type CidrRange = TypeMap['envoy.config.core.v3.CidrRange'];
type TypedExtension = TypeMap['envoy.config.core.v3.TypedExtensionConfig'];

/** Go's regexp.QuoteMeta: the characters RE2 treats as special. */
export const quoteMeta = (s: string): string => s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');

export const regex = (r: string): StringMatcher => ({ safe_regex: { regex: r } });

/** string.go: StringMatcherWithPrefix — a `*x` value with a prefix needs a regex. */
export function stringMatcher(v: string, prefix = ''): StringMatcher {
  if (v === '*') return regex('.+');
  if (v.startsWith('*')) return prefix === '' ? { suffix: v.slice(1) } : regex(`${prefix}.*${quoteMeta(v.slice(1))}`);
  if (v.endsWith('*')) return { prefix: prefix + v.slice(0, -1) };
  return { exact: prefix + v };
}

/** header.go: HeaderMatcher / HostMatcher (hosts compare case-insensitively). */
export function headerMatcher(name: string, v: string, ignoreCase = false): HeaderMatcher {
  if (v === '*') return { name, present_match: true };
  const ic = ignoreCase ? { ignore_case: true } : {};
  if (v.startsWith('*')) return { name, string_match: { suffix: v.slice(1), ...ic } };
  if (v.endsWith('*')) return { name, string_match: { prefix: v.slice(0, -1), ...ic } };
  return { name, string_match: { exact: v, ...ic } };
}

const MATCH_ONE = '{*}';
const MATCH_ANY = '{**}';

/** security.go: ContainsPathTemplate. */
export const containsPathTemplate = (p: string): boolean => p.includes(MATCH_ONE) || p.includes(MATCH_ANY);

/** template.go: PathTemplateMatcher — `{*}`/`{**}` become Envoy's `*`/`**`. */
export function uriTemplate(path: string): TypedExtension {
  const template = path.split(MATCH_ANY).join('**').split(MATCH_ONE).join('*');
  return {
    name: names.RBAC_URI_TEMPLATE,
    typed_config: pack('envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig', {
      path_template: template,
    }),
  };
}

/** matcher.go: OrMatcher — one matcher stays itself. */
export const orValues = (ms: ValueMatcher[]): ValueMatcher =>
  ms.length === 1 ? (ms[0] as ValueMatcher) : { or_match: { value_matchers: ms } };

/** string.go: StringOrMatcher. */
export const stringOr = (vs: readonly string[]): ValueMatcher =>
  orValues(vs.map((v) => ({ string_match: stringMatcher(v) })));

/**
 * metadata.go: MetadataListValueMatcher with the JWT extension: a claim
 * matches when it equals a value or, being a list, contains one.
 */
export function jwtClaimMatcher(filter: string, path: string[], value: ValueMatcher): MetadataMatcher {
  return {
    filter,
    path: path.map((key) => ({ key })),
    value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
  };
}

/**
 * util.go: AddrStrToCidrRange — an address or prefix, in canonical form as
 * netip prints it; anything else is an error. Parsed by the model's parser,
 * the one the load-time checks use.
 */
export function cidrRange(v: string): CidrRange | string {
  const c = parseIpOrCidr(v);
  return c.ok ? { address_prefix: c.value.text, prefix_len: { value: c.value.prefixLen } } : c.problem;
}

/** util.go: convertToPort. */
export function port(v: string): number | string {
  const p = parsePortString(v);
  return p.ok ? p.value : p.problem;
}
