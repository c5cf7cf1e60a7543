// RBAC filter evaluation (envoy/config/rbac/v3): a policy matches when one of
// its permissions and one of its principals match; ALLOW lets through only
// what some policy matches, DENY stops what one matches, LOG only records.
// Shadow rules never enforce; they leave their result in dynamic metadata
// under the stat prefix (which is how CUSTOM enables ext_authz).
import {
  arr,
  has,
  headerMatches,
  inCidr,
  metadataMatches,
  num,
  obj,
  pathOnly,
  str,
  stringMatches,
  templateMatches,
  type Headers,
  type Metadata,
} from './matchers';

/** What RBAC can see of a connection or request. */
export interface RbacContext {
  sourceIp?: string;
  destIp: string;
  destPort: number;
  sni?: string;
  /** Filter state (io.istio.peer_principal is the caller's SPIFFE ID on a waypoint). */
  filterState: ReadonlyMap<string, string>;
  /** URI SAN of a peer certificate on this listener; none on an internal listener. */
  peerCertificate?: string;
  /** Absent on TCP chains: header and path rules then never match. */
  http?: { headers: Headers; path: string };
  metadata: Metadata;
}

export function permissionMatches(p: unknown, c: RbacContext): boolean {
  const o = obj(p);
  if (o.any === true) return true;
  if (has(o, 'andRules')) return arr(obj(o.andRules).rules).every((r) => permissionMatches(r, c));
  if (has(o, 'orRules')) return arr(obj(o.orRules).rules).some((r) => permissionMatches(r, c));
  if (has(o, 'notRule')) return !permissionMatches(o.notRule, c);
  if (has(o, 'header')) return c.http !== undefined && headerMatches(o.header, c.http.headers);
  if (has(o, 'urlPath')) return c.http !== undefined && stringMatches(obj(o.urlPath).path, pathOnly(c.http.path));
  if (has(o, 'destinationIp')) return inCidr(c.destIp, o.destinationIp);
  if (has(o, 'destinationPort')) return num(o.destinationPort) === c.destPort;
  if (has(o, 'destinationPortRange')) {
    const r = obj(o.destinationPortRange);
    return c.destPort >= (num(r.start) ?? 0) && c.destPort < (num(r.end) ?? 0);
  }
  if (has(o, 'metadata')) return metadataMatches(o.metadata, c.metadata);
  if (has(o, 'requestedServerName')) return stringMatches(o.requestedServerName, c.sni);
  if (has(o, 'uriTemplate')) {
    const tpl = str(obj(obj(o.uriTemplate).typedConfig).pathTemplate);
    return c.http !== undefined && tpl !== undefined && templateMatches(tpl, pathOnly(c.http.path));
  }
  return false;
}

export function principalMatches(p: unknown, c: RbacContext): boolean {
  const o = obj(p);
  if (o.any === true) return true;
  if (has(o, 'andIds')) return arr(obj(o.andIds).ids).every((r) => principalMatches(r, c));
  if (has(o, 'orIds')) return arr(obj(o.orIds).ids).some((r) => principalMatches(r, c));
  if (has(o, 'notId')) return !principalMatches(o.notId, c);
  if (has(o, 'authenticated')) {
    if (c.peerCertificate === undefined) return false;
    const m = obj(o.authenticated).principalName;
    return m === undefined || stringMatches(m, c.peerCertificate);
  }
  if (has(o, 'directRemoteIp')) return inCidr(c.sourceIp, o.directRemoteIp);
  if (has(o, 'remoteIp')) return inCidr(c.sourceIp, o.remoteIp);
  if (has(o, 'sourceIp')) return inCidr(c.sourceIp, o.sourceIp);
  if (has(o, 'header')) return c.http !== undefined && headerMatches(o.header, c.http.headers);
  if (has(o, 'urlPath')) return c.http !== undefined && stringMatches(obj(o.urlPath).path, pathOnly(c.http.path));
  if (has(o, 'metadata')) return metadataMatches(o.metadata, c.metadata);
  if (has(o, 'filterState')) {
    const f = obj(o.filterState);
    return stringMatches(f.stringMatch, c.filterState.get(str(f.key) ?? ''));
  }
  return false;
}

/** The policies (by name, in Envoy's order: sorted by name) of an RBAC config that match. */
export function matchingPolicies(rbac: unknown, c: RbacContext): string[] {
  const policies = obj(obj(rbac).policies);
  return Object.keys(policies)
    .sort()
    .filter((name) => {
      const p = obj(policies[name]);
      return (
        arr(p.permissions).some((x) => permissionMatches(x, c)) && arr(p.principals).some((x) => principalMatches(x, c))
      );
    });
}

export type RbacAction = 'ALLOW' | 'DENY' | 'LOG';

export interface RbacResult {
  action: RbacAction;
  /** enforced: this filter decides; shadow: dry run or CUSTOM marking, never stops anything. */
  mode: 'enforced' | 'shadow';
  policies: string[];
  matched: string[];
  /** Whether the request or connection continues past this filter. */
  allowed: boolean;
  statPrefix?: string;
}

function actionOf(rbac: unknown): RbacAction {
  const a = str(obj(rbac).action);
  return a === 'DENY' || a === 'LOG' ? a : 'ALLOW';
}

/**
 * One RBAC filter's typed config: its enforced rules and its shadow rules,
 * and the dynamic metadata the shadow engine leaves (…shadow_effective_policy_id,
 * …shadow_engine_result under the filter's name).
 */
export function evaluateRbac(
  config: unknown,
  c: RbacContext,
): { results: RbacResult[]; metadata: Record<string, string> } {
  const o = obj(config);
  const results: RbacResult[] = [];
  const metadata: Record<string, string> = {};
  if (has(o, 'rules')) {
    const action = actionOf(o.rules);
    const matched = matchingPolicies(o.rules, c);
    results.push({
      action,
      mode: 'enforced',
      policies: Object.keys(obj(obj(o.rules).policies)).sort(),
      matched,
      allowed: action === 'ALLOW' ? matched.length > 0 : action === 'DENY' ? matched.length === 0 : true,
    });
  }
  if (has(o, 'shadowRules')) {
    const action = actionOf(o.shadowRules);
    const matched = matchingPolicies(o.shadowRules, c);
    const prefix = str(o.shadowRulesStatPrefix) ?? '';
    const allowed = action === 'ALLOW' ? matched.length > 0 : action === 'DENY' ? matched.length === 0 : true;
    if (matched[0] !== undefined) metadata[`${prefix}shadow_effective_policy_id`] = matched[0];
    metadata[`${prefix}shadow_engine_result`] = allowed ? 'allowed' : 'denied';
    results.push({
      action,
      mode: 'shadow',
      policies: Object.keys(obj(obj(o.shadowRules).policies)).sort(),
      matched,
      allowed,
      statPrefix: prefix,
    });
  }
  return { results, metadata };
}

/** istiod's policy names: `[istio-ext-authz-<provider>-]ns[<ns>]-policy[<name>]-rule[<i>][-…]`. */
export function parsePolicyName(
  name: string,
): { namespace: string; policy: string; rule: number; provider?: string; failClosed?: boolean } | undefined {
  const m = /^(?:istio-ext-authz-(.+?)-)?ns\[([^\]]*)\]-policy\[([^\]]*)\]-rule\[(\d+)\](.*)$/.exec(name);
  if (!m) return undefined;
  return {
    namespace: m[2] ?? '',
    policy: m[3] ?? '',
    rule: Number(m[4]),
    ...(m[1] !== undefined ? { provider: m[1] } : {}),
    ...(m[5]?.includes('deny-due-to-bad-CUSTOM-action') ? { failClosed: true } : {}),
  };
}

/** A policy name as people say it: `AuthorizationPolicy app/viewer rule 0`. */
export function describePolicy(name: string): string {
  const p = parsePolicyName(name);
  if (!p) return name;
  const bad = p.failClosed ? ' (CUSTOM with no usable provider, denied)' : '';
  return `AuthorizationPolicy ${p.namespace}/${p.policy} rule ${p.rule}${bad}`;
}
