import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { validateMessage } from '../../src/validate';
import { buildResources } from '../../src/translate/waypoint/resources';
import { noPolicy, operation, policy, source, waypoint } from './ir-fixture';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

function decoded(set: ReturnType<typeof buildResources>, type: string): Map<string, J> {
  const out = new Map<string, J>();
  for (const r of set.get(type) ?? []) out.set(r.name, toProtoJson(r.messageName, r.body) as J);
  return out;
}

describe('waypoint resources from IR', () => {
  const set = buildResources(waypoint());

  it('emits the waypoint clusters, listeners and per-chain RDS under the names waypoints expect', () => {
    assert.deepEqual(
      (set.get(TypeUrl.Cluster) ?? []).map((r) => r.name),
      [
        'connect_originate',
        'encap',
        'inbound-vip|5432|tcp|db.default.svc.cluster.local',
        'inbound-vip|9080|http|reviews.default.svc.cluster.local',
        'inbound-vip|9080|tcp|reviews.default.svc.cluster.local',
        'main_internal',
      ],
    );
    assert.deepEqual(
      (set.get(TypeUrl.Listener) ?? []).map((r) => r.name),
      ['connect_originate', 'connect_terminate', 'main_internal'],
    );
    assert.deepEqual(
      (set.get(TypeUrl.Route) ?? []).map((r) => r.name),
      ['direct-http', 'inbound-vip|9080|http|reviews.default.svc.cluster.local'],
    );
    const main = decoded(set, TypeUrl.Listener).get('main_internal')!;
    const http = main.filterChains.find((c: J) => c.name === 'inbound-vip|9080|http|reviews.default.svc.cluster.local');
    const hcm = http.filters[0].typedConfig;
    assert.equal(
      hcm.rds.routeConfigName,
      'inbound-vip|9080|http|reviews.default.svc.cluster.local',
      'routes over RDS, not inline',
    );
    assert.equal(hcm.routeConfig, undefined);
  });

  it('points in-mesh endpoints at connect_originate with original-destination and workload metadata', () => {
    const cla = decoded(set, TypeUrl.Endpoint).get('inbound-vip|9080|http|reviews.default.svc.cluster.local')!;
    const [inMesh, plain] = cla.endpoints[0].lbEndpoints;
    assert.deepEqual(inMesh.endpoint.address, {
      envoyInternalAddress: { serverListenerName: 'connect_originate', endpointId: '10.244.0.5:9080' },
    });
    assert.equal(inMesh.metadata.filterMetadata['envoy.filters.listener.original_dst'].local, '10.244.0.5:9080');
    assert.equal(inMesh.metadata.filterMetadata.istio.workload, 'pod-10.244.0.5;default;reviews;v1;Kubernetes');
    assert.deepEqual(plain.endpoint.address, { socketAddress: { address: '10.244.0.6', portValue: 9080 } });
  });

  it('selects chains by VIP range, then port, then sniffed protocol; other addresses match nothing (listener_waypoint.go: buildWaypointInternal)', () => {
    const m = decoded(set, TypeUrl.Listener).get('main_internal')!.filterChainMatcher;
    assert.equal(
      m.matcherTree.input.typedConfig['@type'],
      'type.googleapis.com/envoy.extensions.matching.common_inputs.network.v3.DestinationIPInput',
    );
    const ranges = m.matcherTree.customMatch.typedConfig.rangeMatchers;
    const forVip = (ip: string) =>
      ranges.find((r: J) => r.ranges.some((c: J) => c.addressPrefix === ip)).onMatch.matcher.matcherTree.exactMatchMap
        .map;
    const sniff = forVip('10.96.0.10')['9080'].matcher;
    assert.equal(
      sniff.matcherTree.exactMatchMap.map["'http/1.1'"].action.typedConfig.value,
      'inbound-vip|9080|http|reviews.default.svc.cluster.local',
    );
    assert.equal(sniff.onNoMatch.action.typedConfig.value, 'inbound-vip|9080|tcp|reviews.default.svc.cluster.local');
    const db = forVip('10.96.0.20')['5432'];
    assert.equal(db.action.typedConfig.value, 'inbound-vip|5432|tcp|db.default.svc.cluster.local');
    assert.equal(m.onNoMatch, undefined, 'no catch-all: an unknown destination is closed, not tunnelled');
    assert.equal(ranges.length, 2, 'no workloads bound: no direct range');
  });

  it('orders HTTP filters as Istio does: jwt, RBAC AUDIT/DENY/ALLOW, grpc_stats, fault, cors, peer metadata, stats, router', () => {
    const rules = [{ from: [source({ principals: ['cluster.local/ns/default/sa/a'] })], to: [], when: [] }];
    const p = noPolicy();
    p.authz = [
      policy({ name: 'allow', action: 'ALLOW', rules }),
      policy({ name: 'deny', action: 'DENY', rules }),
      policy({ name: 'audit', action: 'AUDIT', rules }),
    ];
    p.jwt = [
      {
        key: 'default/ra/0',
        issuer: 'iss',
        audiences: [],
        jwks: '{"keys":[]}',
        spaceDelimitedClaims: ['permission', 'scope'],
        fromHeaders: [],
        fromParams: [],
        fromCookies: [],
        forwardOriginalToken: false,
        outputClaimToHeaders: [],
      },
    ];
    const s = buildResources(waypoint({ reviewsPolicy: p }));
    const chain = decoded(s, TypeUrl.Listener)
      .get('main_internal')!
      .filterChains.find((c: J) => c.name.startsWith('inbound-vip|9080|http'));
    const filters = chain.filters[0].typedConfig.httpFilters.map((f: J) =>
      f.name === 'envoy.filters.http.rbac' ? `rbac:${f.typedConfig.rules.action ?? 'ALLOW'}` : f.name,
    );
    assert.deepEqual(filters, [
      'envoy.filters.http.jwt_authn',
      'rbac:LOG',
      'rbac:DENY',
      'rbac:ALLOW',
      'envoy.filters.http.grpc_stats',
      'envoy.filters.http.fault',
      'envoy.filters.http.cors',
      'waypoint_upstream_peer_metadata',
      'istio.stats',
      'envoy.filters.http.router',
    ]);
  });

  it('fails closed on TCP chains as model.go: rule.permission checkError does: HTTP-only rules vanish from ALLOW, HTTP fields are ignored in DENY', () => {
    const p = noPolicy();
    const httpRule = {
      from: [source({ principals: ['cluster.local/ns/default/sa/a'] })],
      to: [operation({ methods: ['GET'] })],
      when: [],
    };
    p.authz = [
      policy({ name: 'allow-get', action: 'ALLOW', rules: [httpRule] }),
      policy({ name: 'deny-get', action: 'DENY', rules: [httpRule] }),
    ];
    const s = buildResources(waypoint({ dbPolicy: p }));
    const chain = decoded(s, TypeUrl.Listener)
      .get('main_internal')!
      .filterChains.find((c: J) => c.name.startsWith('inbound-vip|5432'));
    const rbac = chain.filters
      .filter((f: J) => f.name === 'envoy.filters.network.rbac')
      .map((f: J) => f.typedConfig.rules);
    const deny = rbac.find((r: J) => r.action === 'DENY');
    const allow = rbac.find((r: J) => r.action === undefined || r.action === 'ALLOW');
    assert.deepEqual(Object.keys(allow.policies ?? {}), [], 'ALLOW keeps no policy: nothing is allowed (narrower)');
    const denyPolicy = deny.policies['ns[default]-policy[deny-get]-rule[0]'];
    assert.deepEqual(
      denyPolicy.permissions,
      [{ andRules: { rules: [{ any: true }] } }],
      'DENY drops the method: every request from the principal is denied (wider)',
    );
    const peer = denyPolicy.principals[0].andIds.ids[0].orIds.ids[0];
    assert.equal(peer.filterState.key, 'io.istio.peer_principal');
    assert.equal(peer.filterState.stringMatch.exact, 'spiffe://cluster.local/ns/default/sa/a');
  });

  it('never lets a condition it cannot evaluate widen an ALLOW', () => {
    const p = noPolicy();
    p.authz = [
      policy({
        name: 'odd',
        action: 'ALLOW',
        rules: [
          { from: [], to: [], when: [{ key: 'experimental.envoy.filters.unknown', values: ['x'], notValues: [] }] },
        ],
      }),
    ];
    const s = buildResources(waypoint({ reviewsPolicy: p }));
    const chain = decoded(s, TypeUrl.Listener)
      .get('main_internal')!
      .filterChains.find((c: J) => c.name.startsWith('inbound-vip|9080|http'));
    const rbac = chain.filters[0].typedConfig.httpFilters.find(
      (f: J) => f.name === 'envoy.filters.http.rbac',
    ).typedConfig;
    assert.deepEqual(Object.keys(rbac.rules.policies ?? {}), [], 'the rule is dropped: nothing is allowed');
  });

  it('puts dry-run policies in shadow rules with the Istio stat prefixes', () => {
    const p = noPolicy();
    p.authz = [
      policy({
        name: 'try',
        action: 'ALLOW',
        dryRun: true,
        rules: [{ from: [], to: [operation({ paths: ['/x'] })], when: [] }],
      }),
    ];
    const s = buildResources(waypoint({ reviewsPolicy: p }));
    const chain = decoded(s, TypeUrl.Listener)
      .get('main_internal')!
      .filterChains.find((c: J) => c.name.startsWith('inbound-vip|9080|http'));
    const rbac = chain.filters[0].typedConfig.httpFilters.find(
      (f: J) => f.name === 'envoy.filters.http.rbac',
    ).typedConfig;
    assert.equal(rbac.rules, undefined, 'a dry-run policy enforces nothing');
    assert.equal(rbac.shadowRulesStatPrefix, 'istio_dry_run_allow_');
    assert.deepEqual(Object.keys(rbac.shadowRules.policies), ['ns[default]-policy[try]-rule[0]']);
  });

  it('produces only resources that satisfy Envoy validate.rules', () => {
    for (const [, rs] of set) for (const r of rs) assert.deepEqual(validateMessage(r.messageName, r.body), [], r.name);
  });
});
