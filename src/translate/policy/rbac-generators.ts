import type { TypeMap } from '../../envoy';
import {
  cidrRange,
  containsPathTemplate,
  headerMatcher,
  jwtClaimMatcher,
  orValues,
  port,
  quoteMeta,
  regex,
  stringMatcher,
  stringOr,
  uriTemplate,
  type StringMatcher,
  type ValueMatcher,
} from './rbac-matchers';
import * as names from '../names';

// One generator per AuthorizationPolicy attribute, as in istiod's
// pilot/pkg/security/authz/model/generator.go. A generator returns the Envoy
// matcher for a value (or, for the "extended" ones, for all values at once),
// or a string saying why it cannot: the caller decides, by action, whether
// that drops the rule (ALLOW) or only the value (DENY, AUDIT).

export type Principal = TypeMap['envoy.config.rbac.v3.Principal'];
export type Permission = TypeMap['envoy.config.rbac.v3.Permission'];

export interface GenContext {
  forTCP: boolean;
  /** Proxyless gRPC reads the mTLS peer; a waypoint reads the peer principal filter state. */
  useAuthenticated: boolean;
  /** The policy's namespace: where a bare service account name resolves. */
  namespace: string;
  /** The mesh trust domain, then its aliases; principals are rewritten for each. */
  trustDomains?: readonly string[];
}

export type Out<T> = T | { error: string };
export const isError = <T>(x: Out<T>): x is { error: string } =>
  typeof x === 'object' && x !== null && 'error' in x && typeof (x as { error: unknown }).error === 'string';

export interface PrincipalGen {
  side: 'principal';
  one?: (key: string, value: string, c: GenContext) => Out<Principal>;
  all?: (key: string, values: readonly string[], c: GenContext) => Out<Principal>;
}
export interface PermissionGen {
  side: 'permission';
  one?: (key: string, value: string, c: GenContext) => Out<Permission>;
  all?: (key: string, values: readonly string[], c: GenContext) => Out<Permission>;
}
export type Generator = PrincipalGen | PermissionGen;

const httpOnly = (key: string) => ({ error: `${JSON.stringify(key)} is HTTP only` });

/** principal.go: principalAuthenticated. */
function peer(m: StringMatcher, c: GenContext): Principal {
  return c.useAuthenticated
    ? { authenticated: { principal_name: m } }
    : { filter_state: { key: names.PEER_PRINCIPAL_KEY, string_match: m } };
}

export const JWT_FILTER = 'envoy.filters.http.jwt_authn';
export const JWT_PAYLOAD_KEY = 'payload';

const jwtString = (claim: string, m: StringMatcher): Principal => ({
  metadata: { filter: JWT_FILTER, path: [{ key: JWT_PAYLOAD_KEY }, { key: claim }], value: { string_match: m } },
});
const jwtList = (claims: string[], values: readonly string[]): Principal => ({
  metadata: jwtClaimMatcher(JWT_FILTER, [JWT_PAYLOAD_KEY, ...claims], stringOr(values)),
});

/** generator.go: serviceAccountRegex — `<name>` resolves in the policy's namespace. */
export function serviceAccountRegex(namespace: string, value: string): string {
  const slash = value.indexOf('/');
  const [ns, sa] = slash < 0 ? [namespace, value] : [value.slice(0, slash), value.slice(slash + 1)];
  return `spiffe://.+/ns/${quoteMeta(ns)}/(.+/|)sa/${quoteMeta(sa)}(/.+)?`;
}

/** generator.go: srcTrustDomainGenerator. */
export function trustDomainMatcher(value: string): StringMatcher {
  if (value === '*') return { prefix: names.SPIFFE_SCHEME };
  const star = value.indexOf('*');
  if (star < 0) return { prefix: `${names.SPIFFE_SCHEME}${value}/` };
  const escaped = `${quoteMeta(value.slice(0, star))}[^/]*${quoteMeta(value.slice(star + 1))}`;
  return regex(`${names.SPIFFE_SCHEME}${escaped}/.*`);
}

/** generator.go: srcNamespaceGenerator — each `*` may stand for anything. */
export function namespaceMatcher(value: string): StringMatcher {
  return regex(`.*/ns/${value.split('*').map(quoteMeta).join('.*')}/.*`);
}

const MATCH_ANY = regex('.+');

/** generator.go: requestPrincipalGenerator — `iss/sub` split on the last `/` (issuers are URLs). */
function requestPrincipalOne(value: string): Principal {
  const idx = value.lastIndexOf('/');
  const found = idx >= 0;
  const iss = found ? value.slice(0, idx) : value;
  const sub = found ? value.slice(idx + 1) : '';
  let mIss: StringMatcher;
  let mSub: StringMatcher;
  if (value === '*') {
    mIss = MATCH_ANY;
    mSub = MATCH_ANY;
  } else if (value.startsWith('*')) {
    if (found) {
      mIss = iss === '*' ? MATCH_ANY : { suffix: iss.slice(1) };
      mSub = { exact: sub };
    } else {
      mIss = MATCH_ANY;
      mSub = { suffix: value.slice(1) };
    }
  } else if (value.endsWith('*')) {
    if (found) {
      mIss = { exact: iss };
      mSub = sub === '*' ? MATCH_ANY : { prefix: sub.slice(0, -1) };
    } else {
      mIss = { prefix: value.slice(0, -1) };
      mSub = MATCH_ANY;
    }
  } else {
    mIss = { exact: iss };
    mSub = { exact: sub };
  }
  return { and_ids: { ids: [jwtString('iss', mIss), jwtString('sub', mSub)] } };
}

/** util.go: extractNameInBrackets. */
function inBrackets(s: string): Out<string> {
  if (!s.startsWith('[') || !s.endsWith(']')) return { error: `expecting format [<NAME>], but found ${s}` };
  return s.slice(1, -1);
}

/** util.go: extractNameInNestedBrackets — `[a][b]` is the path a.b; anything else one name. */
export function nestedBrackets(s: string): Out<string[]> {
  const out: string[] = [];
  let begin = 0;
  while (begin < s.length) {
    let end = -1;
    if (s[begin] === '[') {
      for (let i = begin + 1; i < s.length; i++) {
        if (s[i] === '[') break;
        if (s[i] === ']') {
          end = i;
          break;
        }
      }
    }
    if (end < 0) {
      const one = inBrackets(s);
      return isError(one) ? one : [one];
    }
    out.push(s.slice(begin + 1, end));
    begin = end + 1;
  }
  return out;
}

function envoyFilterKey(key: string): Out<[string, string]> {
  // "experimental.envoy.filters.a.b[c]" → filter "envoy.filters.a.b", key "c".
  let k = key.startsWith('experimental.') ? key.slice('experimental.'.length) : key;
  if (k.endsWith(']')) k = k.slice(0, -1);
  const open = k.indexOf('[');
  if (open < 0) return { error: `invalid key: ${key}` };
  return [k.slice(0, open), k.slice(open + 1)];
}

const cidrOr = <T>(v: string, f: (c: Exclude<ReturnType<typeof cidrRange>, string>) => T): Out<T> => {
  const c = cidrRange(v);
  return typeof c === 'string' ? { error: c } : f(c);
};

export const G = {
  destIP: {
    side: 'permission',
    one: (_k, v) => cidrOr(v, (c): Permission => ({ destination_ip: c })),
  } as PermissionGen,
  destPort: {
    side: 'permission',
    one: (_k, v) => {
      const p = port(v);
      return typeof p === 'string' ? { error: p } : { destination_port: p };
    },
  } as PermissionGen,
  connSNI: {
    side: 'permission',
    one: (_k, v) => ({ requested_server_name: stringMatcher(v) }),
  } as PermissionGen,
  envoyFilter: {
    side: 'permission',
    all: (key, values) => {
      const parts = envoyFilterKey(key);
      if (isError(parts)) return parts;
      const ms: ValueMatcher[] = values.map((v) =>
        v.startsWith('[') && v.endsWith(']')
          ? { list_match: { one_of: { string_match: stringMatcher(v.replace(/^[[\]]+|[[\]]+$/g, '')) } } }
          : { string_match: stringMatcher(v) },
      );
      return { metadata: { filter: parts[0], path: [{ key: parts[1] }], value: orValues(ms) } };
    },
  } as PermissionGen,
  srcIP: {
    side: 'principal',
    one: (_k, v) => cidrOr(v, (c): Principal => ({ direct_remote_ip: c })),
  } as PrincipalGen,
  remoteIP: {
    side: 'principal',
    one: (_k, v) => cidrOr(v, (c): Principal => ({ remote_ip: c })),
  } as PrincipalGen,
  srcNamespace: { side: 'principal', one: (_k, v, c) => peer(namespaceMatcher(v), c) } as PrincipalGen,
  srcTrustDomain: { side: 'principal', one: (_k, v, c) => peer(trustDomainMatcher(v), c) } as PrincipalGen,
  srcServiceAccount: {
    side: 'principal',
    one: (_k, v, c) => peer(regex(serviceAccountRegex(c.namespace, v)), c),
  } as PrincipalGen,
  srcPrincipal: {
    side: 'principal',
    one: (_k, v, c) => peer(stringMatcher(v, names.SPIFFE_SCHEME), c),
  } as PrincipalGen,
  requestPrincipal: {
    side: 'principal',
    all: (key, values, c) => {
      if (c.forTCP) return httpOnly(key);
      const or = values.map(requestPrincipalOne);
      return or.length === 1 ? (or[0] as Principal) : { or_ids: { ids: or } };
    },
  } as PrincipalGen,
  requestAudiences: {
    side: 'principal',
    all: (key, values, c) => (c.forTCP ? httpOnly(key) : jwtList(['aud'], values)),
  } as PrincipalGen,
  requestPresenter: {
    side: 'principal',
    all: (key, values, c) => (c.forTCP ? httpOnly(key) : jwtList(['azp'], values)),
  } as PrincipalGen,
  requestHeader: {
    side: 'principal',
    one: (key, v, c) => {
      if (c.forTCP) return httpOnly(key);
      const name = inBrackets(key.slice('request.headers'.length));
      return isError(name) ? name : { header: headerMatcher(name, v) };
    },
  } as PrincipalGen,
  requestClaim: {
    side: 'principal',
    all: (key, values, c) => {
      if (c.forTCP) return httpOnly(key);
      const claims = nestedBrackets(key.slice('request.auth.claims'.length));
      return isError(claims) ? claims : jwtList(claims, values);
    },
  } as PrincipalGen,
  host: {
    side: 'permission',
    one: (key, v, c) => (c.forTCP ? httpOnly(key) : { header: headerMatcher(':authority', v, true) }),
  } as PermissionGen,
  path: {
    side: 'permission',
    one: (key, v, c) => {
      if (c.forTCP) return httpOnly(key);
      if (containsPathTemplate(v)) return { uri_template: uriTemplate(v) };
      return { url_path: { path: stringMatcher(v) } };
    },
  } as PermissionGen,
  method: {
    side: 'permission',
    one: (key, v, c) => (c.forTCP ? httpOnly(key) : { header: headerMatcher(':method', v) }),
  } as PermissionGen,
};
