// The DestinationRule pieces a user meets outside the golden cases: a rule
// Envoy would refuse is refused at load with the field named; analyze warns
// about unverified TLS as istioctl does; a backend policy's problems reach
// analyze through its status.
import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { analyzeWorld } from '../../src/cli/analyze';
import { DEFAULT_OPTIONS } from '../../src/translate';
import { DestinationRuleIndex, type RuleInput } from '../../src/translate/waypoint/destination-rules';
import { kindInfo } from '../../src/model';
import { loadManifests } from '../../src/watch/load';
import { PROJECT_ROOT } from '../golden/harness';

const rule = (over: Partial<RuleInput> & Pick<RuleInput, 'namespace' | 'name' | 'host'>): RuleInput => ({
  exportTo: [],
  subsets: [],
  backend: false,
  created: '',
  ...over,
});

describe('DestinationRule lookup for a waypoint (push_context.go: destinationRule)', () => {
  const rules: Record<string, RuleInput[]> = {
    infra: [rule({ namespace: 'infra', name: 'wp-local', host: 'a.app.svc.cluster.local', exportTo: ['.'] })],
    app: [
      rule({ namespace: 'app', name: 'a', host: 'a.app.svc.cluster.local' }),
      rule({ namespace: 'app', name: 'b-private', host: 'b.app.svc.cluster.local', exportTo: ['.'] }),
      rule({ namespace: 'app', name: 'c-to-infra', host: 'c.app.svc.cluster.local', exportTo: ['infra'] }),
    ],
    'istio-system': [
      rule({ namespace: 'istio-system', name: 'wide', host: '*.cluster.local' }),
      rule({ namespace: 'istio-system', name: 'narrow', host: '*.app.svc.cluster.local' }),
    ],
  };
  const index = new DestinationRuleIndex((ns) => rules[ns] ?? [], 'istio-system');
  const pick = (host: string) => index.lookup('infra', `${host}.app.svc.cluster.local`, 'app')?.name;

  it("the waypoint's own namespace wins over the service's", () => assert.equal(pick('a'), 'wp-local'));
  it("a rule private to the service's namespace is not seen; the most specific root wildcard is", () =>
    assert.equal(pick('b'), 'narrow'));
  it("a rule exported to the waypoint's namespace applies", () => assert.equal(pick('c'), 'c-to-infra'));
  it('a waypoint in the root namespace sees its private rules first', () => {
    const root = new DestinationRuleIndex(
      (ns) =>
        ns === 'istio-system'
          ? [rule({ namespace: ns, name: 'private', host: 'a.app.svc.cluster.local', exportTo: ['.'] })]
          : (rules[ns] ?? []),
      'istio-system',
    );
    assert.equal(root.lookup('istio-system', 'a.app.svc.cluster.local', 'app')?.name, 'private');
  });
});

describe("the mesh config's defaultDestinationRuleExportTo (push_context.go: initDefaultExportMaps, setDestinationRules)", () => {
  const rules: Record<string, RuleInput[]> = {
    app: [
      rule({ namespace: 'app', name: 'a', host: 'a.app.svc.cluster.local' }),
      rule({ namespace: 'app', name: 'b-public', host: 'b.app.svc.cluster.local', exportTo: ['*'] }),
    ],
    'istio-system': [rule({ namespace: 'istio-system', name: 'root', host: '*.app.svc.cluster.local' })],
  };
  const index = (defaultPrivate: boolean) =>
    new DestinationRuleIndex((ns) => rules[ns] ?? [], 'istio-system', undefined, undefined, defaultPrivate);

  it('`.`: a rule without exportTo stays in its namespace, a root one too; one exported by name still applies', () => {
    const priv = index(true);
    assert.equal(priv.lookup('infra', 'a.app.svc.cluster.local', 'app')?.name, undefined);
    assert.equal(priv.lookup('infra', 'b.app.svc.cluster.local', 'app')?.name, 'b-public');
    assert.equal(priv.lookup('app', 'a.app.svc.cluster.local', 'app')?.name, 'a');
    // The root namespace's rule: seen only by proxies living there.
    assert.equal(priv.lookup('istio-system', 'c.app.svc.cluster.local', 'app')?.name, 'root');
  });
  it('unset (`*`): such a rule is seen from every namespace', () => {
    assert.equal(index(false).lookup('infra', 'a.app.svc.cluster.local', 'app')?.name, 'a');
    assert.equal(index(false).lookup('infra', 'c.app.svc.cluster.local', 'app')?.name, 'root');
  });
});

describe('DestinationRule input checks', () => {
  const check = (spec: unknown) =>
    kindInfo('DestinationRule')!.validate({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: 'r', namespace: 'app' },
      spec,
    });
  it('names the field of a value Envoy would refuse', () => {
    assert.deepEqual(
      check({
        host: 'a',
        trafficPolicy: {
          outlierDetection: { interval: '0.5ms', maxEjectionPercent: 120 },
          loadBalancer: { simple: 'RANDOM', consistentHash: { httpHeaderName: 'x', useSourceIp: true } },
        },
      }),
      [
        'spec.trafficPolicy.loadBalancer.consistentHash: only one of httpHeaderName, useSourceIp may be set',
        'spec.trafficPolicy.loadBalancer: only one of simple, consistentHash may be set',
        'spec.trafficPolicy.outlierDetection.interval: duration must be greater than 1ms',
        'spec.trafficPolicy.outlierDetection.maxEjectionPercent: must be an integer in [0, 100]',
      ],
    );
  });
  it('requires both fields of http2KeepAlive (validation.go: validateConnectionPool)', () => {
    assert.deepEqual(
      check({ host: 'a', trafficPolicy: { connectionPool: { http: { http2KeepAlive: { interval: '30s' } } } } }),
      ['spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout: required'],
    );
  });
  it('accepts the rules of the golden cases', () => assert.deepEqual(check({ host: 'a', exportTo: ['.'] }), []));
});

describe('analyze: DestinationRule TLS and backend policies', () => {
  it('warns about unverified TLS (IST0128/IST0129) and reports backend policy problems from their status', async () => {
    const cases = join(PROJECT_ROOT, 'test', 'golden', 'cases');
    const { world } = await loadManifests([
      join(cases, 'dr-tls', 'input.yaml'),
      join(cases, 'backend-tls-policy', 'input.yaml'),
    ]);
    const msgs = analyzeWorld(world, buildAmbientIndex(world, { ...DEFAULT_OPTIONS, assumeReady: true }))
      .filter((m) => m.kind === 'DestinationRule' || m.kind === 'BackendTLSPolicy')
      .map((m) => `${m.code} ${m.kind} ${m.name}: ${m.text}`);
    assert.deepEqual(msgs, [
      'IST0101 BackendTLSPolicy multi-https: targetRefs invalid: Service app/missing not found',
      'IST0101 BackendTLSPolicy multi-https: targetRefs invalid: sectionName "grpc" does not exist in Service app/multi',
      'IST0128 DestinationRule mutual: DestinationRule app/mutual in namespace app has TLS mode set to MUTUAL but no caCertificates are set to validate server identity for host: mutual',
      'IST0128 DestinationRule simple: DestinationRule app/simple in namespace app has TLS mode set to SIMPLE but no caCertificates are set to validate server identity for host: simple',
      'IST0171 BackendTLSPolicy bad-ca: Accepted=False (NoValidCACertificate): Certificate reference invalid: found ConfigMap, but it has no non-empty cacert or ca.crt key',
      'IST0171 BackendTLSPolicy bad-ca: ResolvedRefs=False (InvalidCACertificateRef): Certificate invalid: found ConfigMap, but it has no non-empty cacert or ca.crt key',
      'IST0171 BackendTLSPolicy ignored: Accepted=False (IgnoredByIstio): Ignored by Istio due to annotation istio.io/ignore-policy-attachment=true',
      'IST0171 BackendTLSPolicy secure-late: Accepted=False (Conflicted): Conflicts with BackendTLSPolicy "secure" targeting the same backend',
    ]);
  });
});
