import {
  jwksSourceKey,
  readResolution,
  RESOLVED_JWKS_CONFIGMAP,
  type ConfigMap,
  type JWTRule,
  type RequestAuthentication,
  type World,
  readObject,
  recorded,
} from '../../model';
import type { Reads } from '../reads';
import type { JwtRuleIR } from '../ir';
import * as names from '../names';

/** The JWKS the control plane resolved, as handed to the translator (see src/jwks). */
export function resolvedJwks(world: World, rootNamespace: string, reads?: Reads): ConfigMap | undefined {
  return readObject(recorded(world, reads), 'ConfigMap', rootNamespace, RESOLVED_JWKS_CONFIGMAP);
}

/**
 * jwks_resolver.go: BuildLocalJwks — inline `jwks` when given, else the keys
 * fetched from `jwksUri` (or by OpenID discovery on the issuer); a fetch that
 * failed, or has not happened yet, inlines the unusable key set: fail closed.
 */
export function jwksFor(r: JWTRule, resolved: ConfigMap | undefined): { jwks: string; error?: string } {
  if (r.jwks) return { jwks: r.jwks };
  const got = readResolution(resolved, jwksSourceKey(r));
  if (got && 'jwks' in got) return { jwks: got.jwks };
  const where = r.jwksUri ? r.jwksUri : `OpenID discovery for ${r.issuer}`;
  return { jwks: names.UNUSABLE_JWKS, error: got ? `${where}: ${got.error}` : `${where}: not fetched yet` };
}

/**
 * policy_applier.go: convertToEnvoyJwtConfig takes token locations as
 * written: with none given, Envoy's jwt_authn itself looks in
 * `Authorization: Bearer` and `access_token`; `fromCookies` alone means cookies only.
 */
export function jwtRulesIR(ra: RequestAuthentication, resolved: ConfigMap | undefined): JwtRuleIR[] {
  const ns = ra.metadata.namespace;
  return (ra.spec?.jwtRules ?? []).map((r, i) => {
    const keys = jwksFor(r, resolved);
    return {
      key: `${ns}/${ra.metadata.name}/${i}`,
      issuer: r.issuer,
      audiences: r.audiences ?? [],
      ...(r.jwksUri !== undefined ? { jwksUri: r.jwksUri } : {}),
      jwks: keys.jwks,
      ...(keys.error ? { jwksError: keys.error } : {}),
      spaceDelimitedClaims: spaceDelimited(r.spaceDelimitedClaims),
      fromHeaders: (r.fromHeaders ?? []).map((h) => ({ name: h.name, prefix: h.prefix ?? '' })),
      fromParams: r.fromParams ?? [],
      fromCookies: r.fromCookies ?? [],
      forwardOriginalToken: r.forwardOriginalToken ?? false,
      ...(r.outputPayloadToHeader ? { outputPayloadToHeader: r.outputPayloadToHeader } : {}),
      outputClaimToHeaders: r.outputClaimToHeaders ?? [],
    };
  });
}

/** policy_applier.go: buildSpaceDelimitedClaims — the defaults plus the rule's, sorted and unique. */
function spaceDelimited(extra: string[] | undefined): string[] {
  if (extra === undefined) return [...names.DEFAULT_SPACE_DELIMITED_CLAIMS];
  return [...new Set([...extra, ...names.DEFAULT_SPACE_DELIMITED_CLAIMS])].sort();
}
