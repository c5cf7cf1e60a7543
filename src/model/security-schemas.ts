// AuthorizationPolicy and RequestAuthentication: the shape we read and the
// rules istiod's webhook enforces on it (`validation.go:
// ValidateAuthorizationPolicy`, `ValidateRequestAuthentication`), worded as
// istiod words them so a user can search for the message.
import { all, bool, list, obj, oneOf, parsed, rule, str, strList, strMap, type Check } from './checks';
import {
  checkCondition,
  parseAuthzPath,
  parseHeaderName,
  parseIpOrCidr,
  parseIstioDuration,
  parseJwks,
  parseJwksUri,
  parseNonEmpty,
  parsePortString,
  parseServiceAccount,
} from './values';

const targetRef = obj({ group: str, kind: str, name: str, namespace: str }, ['kind', 'name']);

export const targeting = {
  selector: obj({ matchLabels: strMap }),
  targetRef,
  targetRefs: list(targetRef),
};

/** `validation.go: validateOneOfSelectorType`: a policy picks its targets one way. */
export const oneTargeting = rule((o) =>
  o.selector !== undefined && (o.targetRef !== undefined || o.targetRefs !== undefined)
    ? [['', 'only one of targetRefs or workloadSelector can be set']]
    : o.targetRef !== undefined && o.targetRefs !== undefined
      ? [['', 'only one of targetRef or targetRefs can be set']]
      : [],
);

const nonEmpty = list(parsed(parseNonEmpty));
const ips = list(parsed(parseIpOrCidr));
const ports = list(parsed(parsePortString));
const paths = list(parsed(parseAuthzPath));
const serviceAccounts: Check = all(
  list(parsed(parseServiceAccount)),
  (v, p, errs) => void (Array.isArray(v) && v.length > 16 && errs.push(`${p}: may not have more than 16 values`)),
);

const SOURCE_FIELDS = {
  principals: nonEmpty,
  notPrincipals: nonEmpty,
  requestPrincipals: nonEmpty,
  notRequestPrincipals: nonEmpty,
  namespaces: nonEmpty,
  notNamespaces: nonEmpty,
  ipBlocks: ips,
  notIpBlocks: ips,
  remoteIpBlocks: ips,
  notRemoteIpBlocks: ips,
  serviceAccounts,
  notServiceAccounts: serviceAccounts,
  trustDomains: nonEmpty,
  notTrustDomains: nonEmpty,
};

const OPERATION_FIELDS = {
  hosts: nonEmpty,
  notHosts: nonEmpty,
  ports,
  notPorts: ports,
  methods: nonEmpty,
  notMethods: nonEmpty,
  paths,
  notPaths: paths,
};

const filled = (o: unknown, keys: readonly string[]) =>
  keys.some(
    (k) =>
      Array.isArray((o as Record<string, unknown> | undefined)?.[k]) &&
      ((o as Record<string, unknown[]>)[k]?.length ?? 0) > 0,
  );

const source = all(
  obj(SOURCE_FIELDS),
  rule((s) => [
    ...(filled(s, Object.keys(SOURCE_FIELDS)) ? [] : [['', '`from.source` must not be empty'] as [string, string]]),
    ...(filled(s, ['principals', 'notPrincipals', 'namespaces', 'notNamespaces']) &&
    filled(s, ['serviceAccounts', 'notServiceAccounts'])
      ? [['', 'cannot set serviceAccounts with namespaces or principals'] as [string, string]]
      : []),
  ]),
);

const operation = all(
  obj(OPERATION_FIELDS),
  rule((o) => (filled(o, Object.keys(OPERATION_FIELDS)) ? [] : [['', '`to.operation` must not be empty']])),
);

const condition = all(
  obj({ key: str, values: strList, notValues: strList }, ['key']),
  rule((c) => {
    const key = typeof c.key === 'string' ? c.key : '';
    if (key === '') return [['key', '`key` must not be empty']];
    const values = Array.isArray(c.values) ? c.values.filter((v) => typeof v === 'string') : [];
    const notValues = Array.isArray(c.notValues) ? c.notValues.filter((v) => typeof v === 'string') : [];
    if (values.length === 0 && notValues.length === 0)
      return [['', `at least one of \`values\` or \`notValues\` must be set for key ${key}`]];
    const out: [string, string][] = [];
    const v = values.length > 0 ? checkCondition(key, values) : undefined;
    if (v) out.push(['values', `invalid \`value\` for \`key\` ${key}: ${v}`]);
    const n = notValues.length > 0 ? checkCondition(key, notValues) : undefined;
    if (n) out.push(['notValues', `invalid \`notValue\` for \`key\` ${key}: ${n}`]);
    return out;
  }),
);

const authzRule = all(
  obj({
    from: list(obj({ source }, ['source'])),
    to: list(obj({ operation }, ['operation'])),
    when: list(condition),
  }),
  rule((r) => [
    ...(Array.isArray(r.from) && r.from.length === 0 ? [['from', '`from` must not be empty'] as [string, string]] : []),
    ...(Array.isArray(r.to) && r.to.length === 0 ? [['to', '`to` must not be empty'] as [string, string]] : []),
  ]),
);

// Fields CUSTOM cannot match on: the external authorizer sees the request before authentication.
const NOT_WITH_CUSTOM = [
  'namespaces',
  'notNamespaces',
  'serviceAccounts',
  'notServiceAccounts',
  'principals',
  'notPrincipals',
  'requestPrincipals',
  'notRequestPrincipals',
];

function actionRules(o: Record<string, unknown>): [string, string][] {
  const out: [string, string][] = [];
  const action = o.action ?? 'ALLOW';
  const rules = Array.isArray(o.rules) ? (o.rules as Record<string, unknown>[]) : undefined;
  const provider = o.provider as { name?: unknown } | undefined;
  if (action === 'CUSTOM') {
    if (rules === undefined)
      out.push([
        '',
        'CUSTOM action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
      ]);
    else if (typeof provider?.name !== 'string' || provider.name === '')
      out.push(['provider.name', '`provider.name` must not be empty']);
    rules?.forEach((r, i) => {
      const from = Array.isArray(r?.from) ? (r.from as { source?: Record<string, unknown> }[]) : [];
      from.forEach((f, j) => {
        for (const k of NOT_WITH_CUSTOM)
          if (filled(f?.source, [k]))
            out.push([`rules[${i}].from[${j}].source.${k}`, `${k} is currently not supported with CUSTOM action`]);
      });
      const when = Array.isArray(r?.when) ? (r.when as { key?: unknown }[]) : [];
      when.forEach((w, j) => {
        const key = typeof w?.key === 'string' ? w.key : '';
        if (
          ['source.namespace', 'source.serviceAccount', 'source.trustDomain', 'source.principal'].includes(key) ||
          key.startsWith('request.auth.')
        )
          out.push([`rules[${i}].when[${j}].key`, `${key} is currently not supported with CUSTOM action`]);
      });
    });
  }
  if (provider !== undefined && action !== 'CUSTOM')
    out.push(['provider', `\`provider\` must not be with non CUSTOM action, found ${String(action)}`]);
  if (action === 'DENY' && rules === undefined)
    out.push([
      '',
      'DENY action without `rules` is meaningless as it will never be triggered, add an empty rule `{}` if you want it be triggered for every request',
    ]);
  return out;
}

export const authorizationPolicySpec = all(
  obj({
    ...targeting,
    action: oneOf('ALLOW', 'DENY', 'AUDIT', 'CUSTOM'),
    provider: obj({ name: str }, ['name']),
    rules: list(authzRule),
  }),
  oneTargeting,
  rule(actionRules),
);

const nonEmptyStr =
  (message: string): Check =>
  (v, p, errs) =>
    void (typeof v !== 'string' ? errs.push(`${p}: must be a string`) : v === '' && errs.push(`${p}: ${message}`));

/** `validation.go: validateJwtRule`. */
const jwtRule = all(
  obj({
    issuer: str,
    audiences: list(nonEmptyStr('audience must be non-empty string')),
    jwksUri: parsed(parseJwksUri),
    jwks: parsed(parseJwks),
    fromHeaders: list(
      obj({ name: nonEmptyStr('location header name must be non-empty string'), prefix: str }, ['name']),
    ),
    fromParams: list(nonEmptyStr('location query must be non-empty string')),
    fromCookies: list(nonEmptyStr('cookie name must be non-empty string')),
    outputPayloadToHeader: str,
    forwardOriginalToken: bool,
    outputClaimToHeaders: list(
      obj(
        {
          header: parsed(parseHeaderName),
          claim: nonEmptyStr('outputClaimToHeaders header and claim value must be non-empty string'),
        },
        ['header', 'claim'],
      ),
    ),
    timeout: parsed(parseIstioDuration),
    spaceDelimitedClaims: list(nonEmptyStr('space-delimited claim must be non-empty string')),
  }),
  rule((r) => (!r.issuer && !r.jwksUri ? [['issuer', 'issuer or jwksUri must be non-empty string']] : [])),
);

export const requestAuthenticationSpec = all(obj({ ...targeting, jwtRules: list(jwtRule) }), oneTargeting);
