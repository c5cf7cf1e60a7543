import { pack, type TypeMap } from '../envoy';
import type { JwtRuleIR } from './ir';
import { JWT_PAYLOAD_KEY } from './rbac';
import { seconds } from './common';
import * as names from './names';

type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];
type JwtProvider = TypeMap['envoy.extensions.filters.http.jwt_authn.v3.JwtProvider'];

/** Cluster that serves a remote JWKS, reached like any other outbound host on 443. */
export function jwksCluster(uri: string): { cluster: string; host: string; port: number } | undefined {
  try {
    const u = new URL(uri);
    const port = u.port ? Number(u.port) : u.protocol === 'http:' ? 80 : 443;
    return { cluster: names.outbound(port, u.hostname), host: u.hostname, port };
  } catch {
    return undefined;
  }
}

function provider(r: JwtRuleIR): JwtProvider {
  const p: JwtProvider = {
    issuer: r.issuer,
    audiences: r.audiences,
    forward: r.forwardOriginalToken,
    payload_in_metadata: JWT_PAYLOAD_KEY,
    from_headers: r.fromHeaders.map((h) => ({ name: h.name, value_prefix: h.prefix })),
    from_params: r.fromParams,
    from_cookies: r.fromCookies,
  };
  if (r.outputPayloadToHeader) p.forward_payload_header = r.outputPayloadToHeader;
  if (r.outputClaimToHeaders.length > 0) {
    p.claim_to_headers = r.outputClaimToHeaders.map((c) => ({ header_name: c.header, claim_name: c.claim }));
  }
  if (r.jwks !== undefined) {
    p.local_jwks = { inline_string: r.jwks };
  } else if (r.jwksUri) {
    const c = jwksCluster(r.jwksUri);
    p.remote_jwks = {
      http_uri: { uri: r.jwksUri, cluster: c?.cluster ?? '', timeout: seconds(5000) },
      cache_duration: seconds(300_000),
    };
  }
  return p;
}

/**
 * RequestAuthentication semantics: a request with an invalid token is
 * rejected; one with no token passes (authorization decides what it may do).
 */
export function jwtFilter(rules: readonly JwtRuleIR[]): HttpFilter | undefined {
  if (rules.length === 0) return undefined;
  // Providers are named origins-<i> in issuer order, as Istio names them.
  const sorted = [...rules].sort((a, b) =>
    a.issuer < b.issuer ? -1 : a.issuer > b.issuer ? 1 : a.key < b.key ? -1 : 1,
  );
  const providers: Record<string, JwtProvider> = {};
  sorted.forEach((r, i) => (providers[`origins-${i}`] = provider(r)));
  const requirements = [...sorted.map((_r, i) => ({ provider_name: `origins-${i}` })), { allow_missing: {} }];
  return {
    name: 'envoy.filters.http.jwt_authn',
    typed_config: pack('envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication', {
      providers,
      rules: [{ match: { prefix: '/' }, requires: { requires_any: { requirements } } }],
      bypass_cors_preflight: true,
    }),
  };
}
