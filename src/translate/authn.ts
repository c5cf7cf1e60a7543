import type { RequestAuthentication } from '../model';
import type { JwtRuleIR } from './ir';

/** RequestAuthentication jwtRules → providers, with Istio's defaults for where tokens are found. */
export function jwtRulesIR(ra: RequestAuthentication): JwtRuleIR[] {
  const ns = ra.metadata.namespace ?? 'default';
  return (ra.spec?.jwtRules ?? []).map((r, i) => ({
    key: `${ns}/${ra.metadata.name}/${i}`,
    issuer: r.issuer,
    audiences: r.audiences ?? [],
    ...(r.jwks !== undefined ? { jwks: r.jwks } : {}),
    ...(r.jwksUri !== undefined ? { jwksUri: r.jwksUri } : {}),
    fromHeaders:
      r.fromHeaders && r.fromHeaders.length > 0
        ? r.fromHeaders.map((h) => ({ name: h.name, prefix: h.prefix ?? '' }))
        : r.fromParams && r.fromParams.length > 0
          ? []
          : [{ name: 'Authorization', prefix: 'Bearer ' }],
    fromParams: r.fromParams ?? (r.fromHeaders && r.fromHeaders.length > 0 ? [] : ['access_token']),
    fromCookies: r.fromCookies ?? [],
    forwardOriginalToken: r.forwardOriginalToken ?? false,
    ...(r.outputPayloadToHeader ? { outputPayloadToHeader: r.outputPayloadToHeader } : {}),
    outputClaimToHeaders: r.outputClaimToHeaders ?? [],
  }));
}
