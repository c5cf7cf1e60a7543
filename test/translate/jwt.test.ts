import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeMessage, toProtoJson } from '../../src/envoy';
import { resolvedJwksConfigMap, type JWTRule, type RequestAuthentication } from '../../src/model';
import { jwtRulesIR } from '../../src/translate/policy/authn';
import { jwtFilter } from '../../src/translate/policy/jwt';
import { UNUSABLE_JWKS } from '../../src/translate/names';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

const ra = (jwtRules: JWTRule[]): RequestAuthentication => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name: 'ra', namespace: 'shop' },
  spec: { jwtRules },
});

function filter(rules: JWTRule[], resolved = resolvedJwksConfigMap(new Map())): J {
  const f = jwtFilter(jwtRulesIR(ra(rules), resolved))!;
  const type = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter';
  return (toProtoJson(type, encodeMessage(type, f)) as J).typedConfig;
}

const KEYS = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc"}]}';

describe('RequestAuthentication → jwt_authn as istiod builds it', () => {
  it('fromCookies alone adds no header or param location (policy_applier.go: convertToEnvoyJwtConfig)', () => {
    const p = filter([{ issuer: 'a', jwks: KEYS, fromCookies: ['session'] }]).providers['origins-0'];
    assert.deepEqual(p.fromCookies, ['session']);
    assert.equal(p.fromHeaders, undefined);
    assert.equal(p.fromParams, undefined);
  });

  it('normalizes scope and permission plus spaceDelimitedClaims, and clears the route cache (buildSpaceDelimitedClaims)', () => {
    const f = filter([
      { issuer: 'a', jwks: KEYS },
      { issuer: 'b', jwks: KEYS, spaceDelimitedClaims: ['roles', 'scope'] },
    ]);
    assert.deepEqual(f.providers['origins-0'].normalizePayloadInMetadata.spaceDelimitedClaims, ['permission', 'scope']);
    assert.deepEqual(f.providers['origins-1'].normalizePayloadInMetadata.spaceDelimitedClaims, [
      'permission',
      'roles',
      'scope',
    ]);
    assert.equal(f.providers['origins-0'].clearRouteCache, true);
  });

  it('several providers: any one, or all valid-or-missing (policy_applier.go: convertToEnvoyJwtConfig)', () => {
    const f = filter([
      { issuer: 'b', jwks: KEYS },
      { issuer: 'a', jwks: KEYS },
    ]);
    assert.equal(f.providers['origins-0'].issuer, 'a', 'sorted by issuer');
    const vm = (n: string) => ({ requiresAny: { requirements: [{ providerName: n }, { allowMissing: {} }] } });
    assert.deepEqual(f.rules[0].requires, {
      requiresAny: {
        requirements: [
          { providerName: 'origins-0' },
          { providerName: 'origins-1' },
          { requiresAll: { requirements: [vm('origins-0'), vm('origins-1')] } },
        ],
      },
    });
  });

  it('inlines the JWKS the control plane fetched for a jwksUri (jwks_resolver.go: BuildLocalJwks)', () => {
    const uri = 'https://idp.example.com/jwks';
    const got = filter([{ issuer: 'a', jwksUri: uri }], resolvedJwksConfigMap(new Map([[uri, { jwks: KEYS }]])));
    assert.deepEqual(got.providers['origins-0'].localJwks, { inlineString: KEYS });
    assert.equal(got.providers['origins-0'].remoteJwks, undefined, 'the proxy never fetches keys itself');
  });

  it('a failed or missing fetch inlines the unusable key set: every token is rejected (jwks_resolver.go: BuildLocalJwks)', () => {
    const uri = 'https://idp.example.com/jwks';
    const failed = filter(
      [{ issuer: 'a', jwksUri: uri }],
      resolvedJwksConfigMap(new Map([[uri, { error: 'refused' }]])),
    );
    assert.deepEqual(failed.providers['origins-0'].localJwks, { inlineString: UNUSABLE_JWKS });
    const missing = filter([{ issuer: 'a' }]);
    assert.deepEqual(missing.providers['origins-0'].localJwks, { inlineString: UNUSABLE_JWKS });
    const ir = jwtRulesIR(
      ra([{ issuer: 'a', jwksUri: uri }]),
      resolvedJwksConfigMap(new Map([[uri, { error: 'refused' }]])),
    );
    assert.match(ir[0]!.jwksError!, /refused/);
  });
});
