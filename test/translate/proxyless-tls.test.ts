import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { applyChanges, EMPTY_WORLD, type KubeObject, type World } from '../../src/model';
import { peerMode, type PeerTarget } from '../../src/translate/policy/peer-authentication';
import {
  clientTls,
  destinationRuleFor,
  serverIdentities,
  serverRequiresMtls,
} from '../../src/translate/proxyless/proxyless-tls';

const worldOf = (objects: KubeObject[]): World =>
  applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;

function pa(ns: string, name: string, spec: Record<string, unknown>, created = '2026-01-01T00:00:00Z'): KubeObject {
  return {
    apiVersion: 'security.istio.io/v1',
    kind: 'PeerAuthentication',
    metadata: { namespace: ns, name, creationTimestamp: created },
    spec,
  } as KubeObject;
}

function dr(ns: string, name: string, host: string, trafficPolicy: unknown, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { namespace: ns, name, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { host, trafficPolicy, ...extra },
  } as KubeObject;
}

const app: PeerTarget = { namespace: 'app', labels: { app: 'guarded' }, port: 8080 };
const strict = { mtls: { mode: 'STRICT' } };
const permissive = { mtls: { mode: 'PERMISSIVE' } };
const disable = { mtls: { mode: 'DISABLE' } };

describe('PeerAuthentication mode for a workload port', () => {
  const cases: [string, KubeObject[], PeerTarget, string][] = [
    ['no policy: the mesh default, PERMISSIVE', [], app, 'PERMISSIVE'],
    ['mesh-wide STRICT in the root namespace', [pa('istio-system', 'mesh', strict)], app, 'STRICT'],
    [
      'a namespace-wide policy overrides the mesh',
      [pa('istio-system', 'mesh', strict), pa('app', 'ns', disable)],
      app,
      'DISABLE',
    ],
    [
      'UNSET inherits from the level above',
      [pa('istio-system', 'mesh', strict), pa('app', 'ns', { mtls: { mode: 'UNSET' } })],
      app,
      'STRICT',
    ],
    [
      'a selector policy overrides its namespace',
      [pa('app', 'ns', permissive), pa('app', 'wl', { selector: { matchLabels: { app: 'guarded' } }, ...strict })],
      app,
      'STRICT',
    ],
    [
      'a selector that does not match is ignored',
      [pa('app', 'wl', { selector: { matchLabels: { app: 'other' } }, ...strict })],
      app,
      'PERMISSIVE',
    ],
    [
      'a selector policy in another namespace is ignored, even the root',
      [pa('istio-system', 'wl', { selector: { matchLabels: { app: 'guarded' } }, ...strict })],
      app,
      'PERMISSIVE',
    ],
    [
      'a port-level mode wins for its (container) port only',
      [
        pa('app', 'wl', {
          selector: { matchLabels: { app: 'guarded' } },
          ...strict,
          portLevelMtls: { 9090: disable.mtls },
        }),
      ],
      { ...app, port: 9090 },
      'DISABLE',
    ],
    [
      'a port-level mode on another port leaves the workload mode',
      [
        pa('app', 'wl', {
          selector: { matchLabels: { app: 'guarded' } },
          ...strict,
          portLevelMtls: { 9090: disable.mtls },
        }),
      ],
      app,
      'STRICT',
    ],
    [
      'a port-level mode applies when the workload mode is UNSET',
      [
        pa('app', 'ns', disable),
        pa('app', 'wl', { selector: { matchLabels: { app: 'guarded' } }, portLevelMtls: { 8080: strict.mtls } }),
      ],
      app,
      'STRICT',
    ],
    [
      'of two namespace-wide policies the oldest wins',
      [pa('app', 'b-old', strict, '2025-01-01T00:00:00Z'), pa('app', 'a-new', disable, '2026-06-01T00:00:00Z')],
      app,
      'STRICT',
    ],
  ];
  for (const [title, objects, target, want] of cases)
    it(title, () => assert.equal(peerMode(worldOf(objects), target, 'istio-system'), want));
});

describe('proxyless server mTLS', () => {
  const pod = (labels: Record<string, string>) =>
    ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'app', name: 'p', labels } }) as never;
  const at = (labels: Record<string, string>) => ({ ip: '10.0.0.1', port: 8080, ready: true, pod: pod(labels) });
  it('requires mTLS under STRICT', () =>
    assert.equal(serverRequiresMtls(worldOf([pa('app', 'ns', strict)]), at({}), 'app', 'istio-system'), true));
  it('serves PERMISSIVE as plaintext: gRPC cannot offer both on one port', () =>
    assert.equal(serverRequiresMtls(worldOf([]), at({}), 'app', 'istio-system'), false));
  it('serves PERMISSIVE as mTLS to a workload labelled as speaking Istio mTLS', () =>
    assert.equal(
      serverRequiresMtls(worldOf([]), at({ 'security.istio.io/tlsMode': 'istio' }), 'app', 'istio-system'),
      true,
    ));
  it('never requires mTLS under DISABLE, whatever the label', () =>
    assert.equal(
      serverRequiresMtls(
        worldOf([pa('app', 'ns', disable)]),
        at({ 'security.istio.io/tlsMode': 'istio' }),
        'app',
        'istio-system',
      ),
      false,
    ));
});

describe('DestinationRule for a proxyless client cluster', () => {
  const host = 'guarded.app.svc.cluster.local';
  const mtls = { tls: { mode: 'ISTIO_MUTUAL' } };
  const find = (objects: KubeObject[]) =>
    destinationRuleFor(worldOf(objects), host, 'app', 'istio-system', 'cluster.local')?.metadata.name;
  it('resolves a short host in the rule namespace', () =>
    assert.equal(find([dr('app', 'short', 'guarded', mtls)]), 'short'));
  it('does not resolve a short host from another namespace', () =>
    assert.equal(find([dr('other', 'short', 'guarded', mtls)]), undefined));
  it('prefers an exact host to a wildcard', () =>
    assert.equal(
      find([dr('app', 'a-wild', '*.svc.cluster.local', mtls), dr('app', 'z-exact', host, mtls)]),
      'z-exact',
    ));
  it('prefers the service namespace to the root namespace', () =>
    assert.equal(find([dr('istio-system', 'root', host, mtls), dr('app', 'own', '*.cluster.local', mtls)]), 'own'));
  it('falls back to the root namespace', () =>
    assert.equal(find([dr('istio-system', 'root', '*.cluster.local', mtls)]), 'root'));
  it('skips rules with a workloadSelector', () =>
    assert.equal(find([dr('app', 'sel', host, mtls, { workloadSelector: { matchLabels: { a: 'b' } } })]), undefined));
  it('lets a port-level setting replace the rule-wide TLS mode', () => {
    const rule = dr('app', 'r', host, {
      ...mtls,
      portLevelSettings: [{ port: { number: 7001 }, tls: { mode: 'DISABLE' } }],
    });
    assert.equal(clientTls(rule as never, 7000)?.mode, 'ISTIO_MUTUAL');
    assert.equal(clientTls(rule as never, 7001)?.mode, 'DISABLE');
  });
});

describe('identities a proxyless client accepts from a service', () => {
  const at = (name: string, sa?: string) => ({
    ip: '10.0.0.1',
    port: 8080,
    ready: true,
    pod: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace: 'app', name },
      spec: { serviceAccountName: sa },
    } as never,
  });
  it('names each pod service account once, sorted, and `default` for a pod without one', () =>
    assert.deepEqual(serverIdentities([at('b', 'zeta'), at('a'), at('c', 'zeta')], 'td'), [
      'spiffe://td/ns/app/sa/default',
      'spiffe://td/ns/app/sa/zeta',
    ]));
  it('guesses no identity for an endpoint without a pod', () =>
    assert.deepEqual(serverIdentities([{ ip: '10.0.0.9', port: 80, ready: true }], 'td'), []));
});
