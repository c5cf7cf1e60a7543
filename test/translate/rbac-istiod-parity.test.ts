import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { encodeMessage, toProtoJson } from '../../src/envoy';
import type { AuthorizationPolicy } from '../../src/model';
import { authzPolicyIR } from '../../src/translate/policy/authz';
import { buildRbac } from '../../src/translate/policy/rbac';
import { shadowStatPrefix } from '../../src/translate/waypoint/chain-filters';

// An optional cross-check against istiod's own builder expectations
// (pilot/pkg/security/authz/builder/builder_test.go: TestGenerator_GenerateHTTP
// and TestGenerator_GenerateTCP): when an istio checkout is at hand, each
// input policy goes through our builder and must give istiod's RBAC config
// field for field. Skips cleanly when there is no checkout.
const ISTIO = process.env.ISTIO_GIT_DIR ?? '/work/.mirror/istio+istio/repo';
const DIR = 'pilot/pkg/security/authz/builder/testdata';

function show(path: string): string | undefined {
  if (!existsSync(ISTIO)) return undefined;
  try {
    return execFileSync('git', ['-C', ISTIO, 'show', `HEAD:${path}`], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return undefined;
  }
}

type Action = 'ALLOW' | 'DENY' | 'LOG';
const ACTION: Record<string, Action> = { ALLOW: 'ALLOW', DENY: 'DENY', AUDIT: 'LOG' };

/** Our RBAC filters for the policies of one input, in istiod's order (AUDIT, DENY, ALLOW). */
function ours(input: string, forTCP: boolean, trustDomains?: string[]): unknown[] {
  const policies = parseAllDocuments(input)
    .map((d) => d.toJS() as AuthorizationPolicy)
    .filter((p) => p?.kind === 'AuthorizationPolicy');
  // builder_test.go builds with the default Option: the peer is the mTLS principal.
  const opts = { forTCP, useAuthenticated: true, ...(trustDomains ? { trustDomains } : {}) };
  const out: unknown[] = [];
  for (const stage of ['AUDIT', 'DENY', 'ALLOW'] as const) {
    const of = policies.filter((p) => (p.spec?.action ?? 'ALLOW') === stage).map((p) => authzPolicyIR(p));
    if (of.length === 0) continue;
    const live = of.filter((p) => !p.dryRun);
    const dry = of.filter((p) => p.dryRun);
    const body = {
      ...(live.length > 0 ? { rules: buildRbac(live, ACTION[stage] as Action, opts) } : {}),
      ...(dry.length > 0 ? { shadow_rules: buildRbac(dry, ACTION[stage] as Action, opts) } : {}),
      shadow_rules_stat_prefix: shadowStatPrefix(stage, dry.length > 0),
      ...(forTCP ? { stat_prefix: 'tcp.' } : {}),
    };
    const type = forTCP
      ? 'envoy.extensions.filters.network.rbac.v3.RBAC'
      : 'envoy.extensions.filters.http.rbac.v3.RBAC';
    out.push(toProtoJson(type, encodeMessage(type, body)));
  }
  return out;
}

/** istiod's expected filters, without the Any type URL. */
function theirs(files: string[]): unknown[] | undefined {
  const out: unknown[] = [];
  for (const f of files) {
    const text = show(`${DIR}/${f}`);
    if (text === undefined) return undefined;
    const doc = parseAllDocuments(text)[0]?.toJS() as { typedConfig: Record<string, unknown> };
    const { '@type': _t, ...rest } = doc.typedConfig;
    out.push(rest);
  }
  return out;
}

// Cases whose expectation does not depend on trust-domain aliases or CUSTOM providers.
// [input, outputs, trust domain bundle (trust domain, then aliases) as builder_test.go sets it]
const HTTP_CASES: [string, string[], string[]?][] = [
  ['simple-policy-td-aliases', ['simple-policy-td-aliases-out.yaml'], ['td1', 'cluster.local']],
  [
    'simple-policy-multiple-td-aliases',
    ['simple-policy-multiple-td-aliases-out.yaml'],
    ['td1', 'cluster.local', 'some-td'],
  ],
  ['simple-policy-principal-with-wildcard', ['simple-policy-principal-with-wildcard-out.yaml'], ['td1', 'foobar']],
  ['td-aliases-source-principal', ['td-aliases-source-principal-out.yaml'], ['new-td', 'old-td', 'some-trustdomain']],
  ['allow-empty-rule', ['allow-empty-rule-out.yaml']],
  ['allow-full-rule', ['allow-full-rule-out.yaml']],
  ['allow-nil-rule', ['allow-nil-rule-out.yaml']],
  ['allow-path', ['allow-path-out.yaml']],
  ['audit-full-rule', ['audit-full-rule-out.yaml']],
  ['deny-and-allow', ['deny-and-allow-out1.yaml', 'deny-and-allow-out2.yaml']],
  ['deny-empty-rule', ['deny-empty-rule-out.yaml']],
  ['dry-run-allow', ['dry-run-allow-out.yaml']],
  ['dry-run-allow-and-deny', ['dry-run-allow-and-deny-out1.yaml', 'dry-run-allow-and-deny-out2.yaml']],
  ['multiple-policies', ['multiple-policies-out.yaml']],
  ['single-policy', ['single-policy-out.yaml']],
  ['trust-domains', ['trust-domains-out.yaml']],
];
const TCP_CASES: [string, string[], string[]?][] = [
  ['allow-both-http-tcp', ['allow-both-http-tcp-out.yaml']],
  ['allow-only-http', ['allow-only-http-out.yaml']],
  ['audit-both-http-tcp', ['audit-both-http-tcp-out.yaml']],
  ['deny-both-http-tcp', ['deny-both-http-tcp-out.yaml']],
  ['dry-run-mix', ['dry-run-mix-out.yaml']],
];

describe('RBAC built as builder.go: Builder.build builds it, checked against istiod testdata', () => {
  for (const [forTCP, cases] of [
    [false, HTTP_CASES],
    [true, TCP_CASES],
  ] as const) {
    for (const [name, outs, bundle] of cases) {
      const base = forTCP ? 'tcp' : 'http';
      it(`${base}/${name}`, (t) => {
        const input = show(`${DIR}/${base}/${name}-in.yaml`);
        const want = theirs(outs.map((o) => `${base}/${o}`));
        if (input === undefined || want === undefined) return t.skip('no istio checkout');
        assert.deepEqual(ours(input, forTCP, bundle), want);
      });
    }
  }
});
