import { pack, type TypeMap } from '../../envoy';
import type { JwtRuleIR } from '../ir';
import { JWT_FILTER, JWT_PAYLOAD_KEY } from './rbac';

type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];
type JwtProvider = TypeMap['envoy.extensions.filters.http.jwt_authn.v3.JwtProvider'];
type JwtRequirement = TypeMap['envoy.extensions.filters.http.jwt_authn.v3.JwtRequirement'];

/** policy_applier.go: convertToEnvoyJwtConfig, one provider per rule. */
function provider(r: JwtRuleIR): JwtProvider {
  const p: JwtProvider = {
    issuer: r.issuer,
    audiences: r.audiences,
    forward: r.forwardOriginalToken,
    payload_in_metadata: JWT_PAYLOAD_KEY,
    normalize_payload_in_metadata: { space_delimited_claims: r.spaceDelimitedClaims },
    // Waypoints re-select the route once the token's claims are known (JwtFilter(proxy is not a sidecar)).
    clear_route_cache: true,
    from_headers: r.fromHeaders.map((h) => ({ name: h.name, value_prefix: h.prefix })),
    from_params: r.fromParams,
    from_cookies: r.fromCookies,
    // The control plane fetched the keys (or could not: then the unusable set).
    local_jwks: { inline_string: r.jwks },
  };
  if (r.outputPayloadToHeader) p.forward_payload_header = r.outputPayloadToHeader;
  if (r.outputClaimToHeaders.length > 0) {
    p.claim_to_headers = r.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim }));
  }
  return p;
}

/**
 * RequestAuthentication semantics: a request with an invalid token is
 * rejected; one with no token passes (authorization decides what it may do).
 * With several providers istiod asks for any one provider, or for every
 * provider's "valid or missing" at once, so providers sharing a location work.
 */
export function jwtFilter(rules: readonly JwtRuleIR[]): HttpFilter | undefined {
  if (rules.length === 0) return undefined;
  // newPolicyApplier sorts rules by issuer; providers are named origins-<i> in that order.
  const sorted = [...rules].sort((a, b) =>
    a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : a.key < b.key ? -1 : 1,
  );
  const providers: Record<string, JwtProvider> = {};
  sorted.forEach((r, i) => (providers[`origins-${i}`] = provider(r)));
  const names = sorted.map((_r, i) => `origins-${i}`);
  const validOrMissing = (n: string): JwtRequirement => ({
    requires_any: { requirements: [{ provider_name: n }, { allow_missing: {} }] },
  });
  const requires: JwtRequirement =
    names.length === 1
      ? validOrMissing(names[0] as string)
      : {
          requires_any: {
            requirements: [
              ...names.map((n) => ({ provider_name: n })),
              { requires_all: { requirements: names.map(validOrMissing) } },
            ],
          },
        };
  return {
    name: JWT_FILTER,
    typed_config: pack('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
      providers,
      rules: [{ match: { prefix: '/' }, requires }],
      bypass_cors_preflight: true,
    }),
  };
}
