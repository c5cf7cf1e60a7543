import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { encodeMessage, toProtoJson } from '../../src/envoy';
import type { AuthorizationPolicy } from '../../src/model';
import { failClosedPolicy } from '../../src/model/fail-closed';
import { authzPolicyIR } from '../../src/translate/policy/authz';
import { rbacRules, type ChainKind } from '../../src/translate/policy/rbac';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type J = any;

function policy(spec: AuthorizationPolicy['spec'], ns = 'shop'): AuthorizationPolicy {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'p', namespace: ns },
    spec,
  };
}

/** The RBAC config a waypoint chain gets for one policy, as Envoy would decode it. */
function rbac(p: AuthorizationPolicy, kind: ChainKind = 'http', trustDomain = 'cluster.local'): J {
  const ir = authzPolicyIR(p);
  const action = ir.action === 'AUDIT' ? 'LOG' : ir.action === 'DENY' ? 'DENY' : 'ALLOW';
  const body = rbacRules([ir], action, trustDomain, kind);
  return toProtoJson('envoy.config.rbac.v3.RBAC', encodeMessage('envoy.config.rbac.v3.RBAC', body));
}

const rule0 = (r: J) => r.policies?.['ns[shop]-policy[p]-rule[0]'];
const peerOf = (principal: J) => principal.andIds.ids[0].orIds.ids.map((x: J) => x.filterState.stringMatch);

describe('AuthorizationPolicy → RBAC as istiod builds it', () => {
  it('source.trustDomains restricts the peer (generator.go: srcTrustDomainGenerator), never allows everyone', () => {
    const r = rbac(policy({ rules: [{ from: [{ source: { trustDomains: ['td1', '*.corp', '*'] } }] }] }));
    const principal = rule0(r).principals[0];
    assert.notDeepEqual(principal, { andIds: { ids: [{ any: true }] } });
    assert.deepEqual(peerOf(principal), [
      { prefix: 'spiffe://td1/' },
      { safeRegex: { regex: 'spiffe://[^/]*\\.corp/.*' } },
      { prefix: 'spiffe://' },
    ]);
    const not = rbac(policy({ rules: [{ from: [{ source: { notTrustDomains: ['evil'] } }] }] }));
    assert.deepEqual(rule0(not).principals[0].andIds.ids[0].notId.orIds.ids[0].filterState.stringMatch, {
      prefix: 'spiffe://evil/',
    });
  });

  it('a bare serviceAccounts name resolves in the policy namespace (generator.go: serviceAccountRegex)', () => {
    const r = rbac(policy({ rules: [{ from: [{ source: { serviceAccounts: ['cart', 'pay/api'] } }] }] }));
    assert.deepEqual(peerOf(rule0(r).principals[0]), [
      { safeRegex: { regex: 'spiffe://.+/ns/shop/(.+/|)sa/cart(/.+)?' } },
      { safeRegex: { regex: 'spiffe://.+/ns/pay/(.+/|)sa/api(/.+)?' } },
    ]);
  });

  it('when source.serviceAccount and source.trustDomain are principals (model.go: New)', () => {
    const r = rbac(
      policy({
        rules: [
          {
            when: [
              { key: 'source.serviceAccount', values: ['cart'] },
              { key: 'source.trustDomain', values: ['td1'] },
            ],
          },
        ],
      }),
    );
    const ids = rule0(r).principals[0].andIds.ids;
    assert.deepEqual(ids[0].orIds.ids[0].filterState.stringMatch, {
      safeRegex: { regex: 'spiffe://.+/ns/shop/(.+/|)sa/cart(/.+)?' },
    });
    assert.deepEqual(ids[1].orIds.ids[0].filterState.stringMatch, { prefix: 'spiffe://td1/' });
  });

  it('requestPrincipals split issuer and subject on the last "/" (generator.go: requestPrincipalGenerator)', () => {
    const r = rbac(
      policy({
        rules: [{ from: [{ source: { requestPrincipals: ['https://idp.example.com/realms/x/*', '*/alice'] } }] }],
      }),
    );
    const [a, b] = rule0(r).principals[0].andIds.ids[0].orIds.ids;
    const claims = (p: J) => p.andIds.ids.map((m: J) => [m.metadata.path[1].key, m.metadata.value.stringMatch]);
    assert.deepEqual(claims(a), [
      ['iss', { exact: 'https://idp.example.com/realms/x' }],
      ['sub', { safeRegex: { regex: '.+' } }],
    ]);
    assert.deepEqual(claims(b), [
      ['iss', { safeRegex: { regex: '.+' } }],
      ['sub', { exact: 'alice' }],
    ]);
  });

  it('claims, audiences and presenter match a value or a list containing it (util.go: MetadataListValueMatcherForJWTClaims)', () => {
    const r = rbac(
      policy({
        rules: [
          {
            when: [
              { key: 'request.auth.claims[groups]', values: ['admin'] },
              { key: 'request.auth.audiences', values: ['shop'] },
              { key: 'request.auth.presenter', values: ['web'] },
              { key: 'request.auth.claims[realm][roles]', values: ['x'] },
            ],
          },
        ],
      }),
    );
    const ids = rule0(r).principals[0].andIds.ids.map((x: J) => x.metadata);
    assert.deepEqual(
      ids.map((m: J) => m.path.map((s: J) => s.key)),
      [
        ['payload', 'groups'],
        ['payload', 'aud'],
        ['payload', 'azp'],
        ['payload', 'realm', 'roles'],
      ],
    );
    assert.deepEqual(ids[0].value, {
      orMatch: {
        valueMatchers: [
          { listMatch: { oneOf: { stringMatch: { exact: 'admin' } } } },
          { stringMatch: { exact: 'admin' } },
        ],
      },
    });
  });

  it('paths with {*} and {**} become a uri_template (generator.go: pathGenerator)', () => {
    const r = rbac(policy({ rules: [{ to: [{ operation: { paths: ['/api/{*}/items/{**}'] } }] }] }));
    const t = rule0(r).permissions[0].andRules.rules[0].orRules.rules[0].uriTemplate;
    assert.equal(t.name, 'uri-template');
    assert.equal(t.typedConfig.pathTemplate, '/api/*/items/**');
  });

  it('connection.sni is a requested_server_name permission (generator.go: connSNIGenerator), on TCP chains too', () => {
    const r = rbac(
      policy({ action: 'DENY', rules: [{ when: [{ key: 'connection.sni', values: ['*.internal'] }] }] }),
      'tcp',
    );
    assert.deepEqual(rule0(r).permissions[0].andRules.rules[0].orRules.rules[0], {
      requestedServerName: { suffix: '.internal' },
    });
  });

  it('experimental.envoy.filters.* matches filter metadata (generator.go: envoyFilterGenerator)', () => {
    const r = rbac(
      policy({ rules: [{ when: [{ key: 'experimental.envoy.filters.net.foo[bar]', values: ['[x]', 'y'] }] }] }),
    );
    assert.deepEqual(rule0(r).permissions[0].andRules.rules[0].metadata, {
      filter: 'envoy.filters.net.foo',
      path: [{ key: 'bar' }],
      value: {
        orMatch: {
          valueMatchers: [{ listMatch: { oneOf: { stringMatch: { exact: 'x' } } } }, { stringMatch: { exact: 'y' } }],
        },
      },
    });
  });

  it('an ALLOW rule with an invalid value allows nothing; a DENY skips only that value (model.go: rule.checkError)', () => {
    const bad = { rules: [{ to: [{ operation: { ports: ['80', 'eighty'] } }] }] };
    assert.equal(rule0(rbac(policy({ action: 'ALLOW', ...bad }))), undefined, 'ALLOW: the rule is dropped');
    const deny = rule0(rbac(policy({ action: 'DENY', ...bad })));
    assert.deepEqual(deny.permissions[0].andRules.rules[0], { orRules: { rules: [{ destinationPort: 80 }] } });
    const ip = { rules: [{ from: [{ source: { ipBlocks: ['10.0.0.0/33'] } }] }] };
    assert.equal(rule0(rbac(policy({ action: 'ALLOW', ...ip }))), undefined, 'a bad CIDR never becomes match-all');
  });

  it('an unknown when key drops an ALLOW rule (model.go: New) and never shrinks a DENY', () => {
    const when = [
      { key: 'source.color', values: ['blue'] },
      { key: 'request.headers[x-user]', values: ['bob'] },
    ];
    assert.equal(rule0(rbac(policy({ action: 'ALLOW', rules: [{ when }] }))), undefined);
    const deny = rule0(rbac(policy({ action: 'DENY', rules: [{ when }] })));
    assert.deepEqual(deny.principals[0].andIds.ids, [
      { orIds: { ids: [{ header: { name: 'x-user', stringMatch: { exact: 'bob' } } }] } },
    ]);
  });

  it('principals written for cluster.local follow the mesh trust domain (model.go: MigrateTrustDomain)', () => {
    const p = policy({
      rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b', 'other.td/ns/a/sa/c'] } }] }],
    });
    assert.deepEqual(peerOf(rule0(rbac(p, 'http', 'corp.example')).principals[0]), [
      { exact: 'spiffe://corp.example/ns/a/sa/b' },
      { exact: 'spiffe://other.td/ns/a/sa/c' },
    ]);
  });

  it('principals are accepted under the mesh trust domain aliases too (trustdomain/bundle.go: ReplaceTrustDomainAliases)', () => {
    const ir = {
      ...authzPolicyIR(policy({ rules: [{ from: [{ source: { principals: ['cluster.local/ns/a/sa/b'] } }] }] })),
      trustDomainAliases: ['old.td'],
    };
    const body = rbacRules([ir], 'ALLOW', 'new.td', 'http');
    const r = toProtoJson('envoy.config.rbac.v3.RBAC', encodeMessage('envoy.config.rbac.v3.RBAC', body)) as J;
    assert.deepEqual(peerOf(rule0(r).principals[0]), [
      { exact: 'spiffe://new.td/ns/a/sa/b' },
      { exact: 'spiffe://old.td/ns/a/sa/b' },
    ]);
  });

  it('an ALLOW whose rules were all dropped at load contributes no policy, and its RBAC still denies everything (builder.go: Builder.build)', () => {
    const written = policy({ action: 'ALLOW', rules: [{ from: [{ source: { ipBlocks: ['203.0.113.0/24x'] } }] }] });
    const served = failClosedPolicy(written, [
      'spec.rules[0].from[0].source.ipBlocks[0]: bad CIDR range (203.0.113.0/24x)',
    ]);
    assert.ok(served);
    const body = rbacRules([authzPolicyIR(served)], 'ALLOW', 'cluster.local', 'http');
    assert.deepEqual(body.policies, {}, 'rbacPolicyMatchNever is for a policy written without rules only');
    // Envoy's RBAC engine (engine_impl.cc: checkPolicyMatch) starts unmatched
    // and matches only through a policy, and handleAction returns that for
    // ALLOW: with `rules` present and no policies, every request is denied.
    // The filter must therefore carry `rules` (has_rules), even if empty.
    const filter = 'envoy.extensions.filters.http.rbac.v3.RBAC';
    const decoded = toProtoJson(filter, encodeMessage(filter, { rules: body })) as J;
    assert.deepEqual(decoded.rules, {}, 'rules present, action ALLOW (the default), no policies');
  });

  it('rules kept after load keep the index they were written with (builder.go: policyName)', () => {
    const good = { from: [{ source: { namespaces: ['web'] } }] };
    const written = policy({ action: 'ALLOW', rules: [{ from: [{ source: { ipBlocks: ['bad'] } }] }, good] });
    const served = failClosedPolicy(written, ['spec.rules[0].from[0].source.ipBlocks[0]: bad CIDR range (bad)']);
    const body = rbacRules([authzPolicyIR(served!)], 'ALLOW', 'cluster.local', 'http');
    assert.deepEqual(Object.keys(body.policies ?? {}), ['ns[shop]-policy[p]-rule[1]']);
  });

  it('a policy without rules contributes a never-matching policy (builder.go: rbacPolicyMatchNever)', () => {
    assert.deepEqual(rule0(rbac(policy({ action: 'ALLOW' }))), {
      permissions: [{ notRule: { any: true } }],
      principals: [{ notId: { any: true } }],
    });
  });
});
