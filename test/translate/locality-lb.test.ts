// Which locality setting reshapes a waypoint's EDS, level by level, as
// loadbalancer.go: GetEffectiveLbSetting resolves it: the DestinationRule's,
// else the Service's trafficDistribution, else the mesh config's. Each case
// reads the endpoint priorities a waypoint receives.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { referenceGrant, serviceRoute } from '../ambient/fixtures';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const ZONE = 'topology.kubernetes.io/zone';
const REGION = 'topology.kubernetes.io/region';

const node = (name: string, zone: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { [REGION]: 'r1', [ZONE]: zone } },
});

const pod = (name: string, nodeName: string, ip: string, labels: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'app', labels },
    spec: { nodeName, serviceAccountName: 'sa' },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
  }) as KubeObject;

/** The waypoint on node-a (zone a); backends on node-a, node-a2 (zone a, another node) and node-b (zone b). */
const base: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { addresses: [{ type: 'IPAddress', value: '10.96.100.1' }] },
  },
  node('node-a', 'a'),
  node('node-a2', 'a'),
  node('node-b', 'b'),
  pod('waypoint-1', 'node-a', '10.244.9.1', { 'gateway.networking.k8s.io/gateway-name': 'waypoint' }),
  pod('web-a', 'node-a', '10.244.1.1', { app: 'web' }),
  pod('web-a2', 'node-a2', '10.244.1.2', { app: 'web' }),
  pod('web-b', 'node-b', '10.244.1.3', { app: 'web' }),
];

const service = (spec: Record<string, unknown> = {}, annotations?: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'app', ...(annotations ? { annotations } : {}) },
    spec: { clusterIP: '10.96.0.10', selector: { app: 'web' }, ports: [{ name: 'http', port: 80 }], ...spec },
  }) as KubeObject;

const rule = (trafficPolicy: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'web', namespace: 'app' },
  spec: { host: 'web.app.svc.cluster.local', trafficPolicy },
});

const mesh = (text: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio', namespace: 'istio-system' },
    data: { mesh: text },
  }) as KubeObject;

const outlier = { outlierDetection: { consecutive5xxErrors: 3 } };

const CLUSTER = 'inbound-vip|80|http|web.app.svc.cluster.local';

function resource(objects: KubeObject[], type: string): J {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [...base, ...objects].map((object) => ({ op: 'upsert' as const, object })),
  );
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(out, 'the waypoint is translated');
  const r = (out.resources.get(type) ?? []).find((x) => x.name === CLUSTER);
  assert.ok(r, `the service has its ${type}`);
  return toProtoJson(r.messageName, r.body) as J;
}

/** Whether the service's cluster balances by locality weight. */
const weighted = (objects: KubeObject[]) =>
  'localityWeightedLbConfig' in (resource(objects, TypeUrl.Cluster).commonLbConfig ?? {});

/** The priority each backend pod's endpoint gets in the service's EDS. */
function priorities(objects: KubeObject[]): Record<string, number> {
  const cla = resource(objects, TypeUrl.Endpoint);
  const got: Record<string, number> = {};
  for (const g of cla.endpoints as J[])
    for (const e of g.lbEndpoints as J[])
      got[String(e.endpoint.address.envoyInternalAddress.endpointId).split(':')[0]!] = g.priority ?? 0;
  return got;
}

const FLAT = { '10.244.1.1': 0, '10.244.1.2': 0, '10.244.1.3': 0 };
const BY_ZONE = { '10.244.1.1': 0, '10.244.1.2': 0, '10.244.1.3': 1 };

describe('loadbalancer.go: GetEffectiveLbSetting — which setting applies', () => {
  it('level 1: the DestinationRule localityLbSetting wins over trafficDistribution', () =>
    assert.deepEqual(
      priorities([
        service({ trafficDistribution: 'PreferSameNode' }),
        rule({ ...outlier, loadBalancer: { localityLbSetting: { failoverPriority: [ZONE] } } }),
      ]),
      BY_ZONE,
    ));

  it('level 1: enabled:false in the DestinationRule turns locality off even with trafficDistribution', () =>
    assert.deepEqual(
      priorities([
        service({ trafficDistribution: 'PreferClose' }),
        rule({ ...outlier, loadBalancer: { localityLbSetting: { enabled: false } } }),
      ]),
      FLAT,
    ));

  it('level 1: a zone-aware setting in the DestinationRule leaves a waypoint without locality balancing', () => {
    const objects = [
      service({ trafficDistribution: 'PreferClose' }),
      rule({ ...outlier, loadBalancer: { zoneAwareLbSetting: {}, localityLbSetting: { failoverPriority: [ZONE] } } }),
    ];
    assert.deepEqual(priorities(objects), FLAT);
    assert.equal(weighted(objects), false);
  });

  it('level 2: PreferClose ranks by network, region, zone without outlier detection (Force)', () =>
    assert.deepEqual(priorities([service({ trafficDistribution: 'PreferClose' })]), BY_ZONE));

  it('level 2: PreferSameNode also ranks by node', () =>
    assert.deepEqual(priorities([service({ trafficDistribution: 'PreferSameNode' })]), {
      '10.244.1.1': 0,
      '10.244.1.2': 1,
      '10.244.1.3': 2,
    }));

  it('level 2: the annotation stands in for the field (service.go: GetTrafficDistribution)', () =>
    assert.deepEqual(
      priorities([service({}, { 'networking.istio.io/traffic-distribution': 'preferclose' })]),
      BY_ZONE,
    ));

  it('level 2: a DestinationRule without localityLbSetting leaves trafficDistribution in force', () =>
    assert.deepEqual(priorities([service({ trafficDistribution: 'PreferSameZone' }), rule(outlier)]), BY_ZONE));

  it('level 3: the mesh localityLbSetting applies with outlier detection', () =>
    assert.deepEqual(
      priorities([service(), rule(outlier), mesh(`localityLbSetting:\n  failoverPriority: [${ZONE}]\n`)]),
      BY_ZONE,
    ));

  it('level 3: the mesh setting needs outlier detection (no Force)', () =>
    assert.deepEqual(priorities([service(), mesh(`localityLbSetting:\n  failoverPriority: [${ZONE}]\n`)]), FLAT));

  it('level 3: mesh enabled:false turns the default failover off', () => {
    // With the default mesh config, outlier detection alone ranks by locality.
    assert.deepEqual(priorities([service(), rule(outlier)]), BY_ZONE);
    assert.deepEqual(priorities([service(), rule(outlier), mesh('localityLbSetting:\n  enabled: false\n')]), FLAT);
  });

  it('level 3: a mesh zoneAwareLbSetting leaves a waypoint without locality balancing', () =>
    assert.deepEqual(
      priorities([
        service(),
        rule(outlier),
        mesh(`zoneAwareLbSetting: {}\nlocalityLbSetting:\n  failoverPriority: [${ZONE}]\n`),
      ]),
      FLAT,
    ));

  it('the cluster is locality-weighted when failover is forced or outlier detection is on (LocalityLBSettings.ApplyToCluster)', () => {
    assert.equal(weighted([service({ trafficDistribution: 'PreferClose' })]), true);
    assert.equal(weighted([service()]), false);
    assert.equal(weighted([service(), mesh(`localityLbSetting:\n  failoverPriority: [${ZONE}]\n`)]), false);
    assert.equal(
      weighted([service(), rule(outlier), mesh(`localityLbSetting:\n  failoverPriority: [${ZONE}]\n`)]),
      true,
    );
    assert.equal(
      weighted([
        service({ trafficDistribution: 'PreferClose' }),
        rule({ loadBalancer: { localityLbSetting: { enabled: false } } }),
      ]),
      false,
    );
  });
});

describe('a route backend the waypoint does not serve (outbound cluster)', () => {
  it('takes its Service trafficDistribution without a DestinationRule', () => {
    const other = (name: string, nodeName: string, ip: string) => ({
      // Outside the mesh: plain socket addresses.
      ...pod(name, nodeName, ip, { app: 'api' }),
      metadata: { name, namespace: 'other', labels: { app: 'api' } },
    });
    const objects: KubeObject[] = [
      ...base,
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
      service(),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'api', namespace: 'other' },
        spec: {
          clusterIP: '10.96.0.20',
          selector: { app: 'api' },
          ports: [{ name: 'http', port: 80 }],
          trafficDistribution: 'PreferClose',
        },
      } as KubeObject,
      other('api-a', 'node-a', '10.244.2.1'),
      other('api-b', 'node-b', '10.244.2.2'),
      serviceRoute('to-api', 'app', 'web', 'api', 'other'),
      referenceGrant('from-app', 'other', 'app'),
    ];
    const { world } = applyChanges(
      EMPTY_WORLD,
      objects.map((object) => ({ op: 'upsert' as const, object })),
    );
    const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
    assert.ok(out, 'the waypoint is translated');
    const name = 'outbound|80||api.other.svc.cluster.local';
    const find = (type: string) => {
      const r = (out.resources.get(type) ?? []).find((x) => x.name === name);
      assert.ok(r, `${name} has its ${type}`);
      return toProtoJson(r.messageName, r.body) as J;
    };
    const got: Record<string, number> = {};
    for (const g of find(TypeUrl.Endpoint).endpoints as J[])
      for (const e of g.lbEndpoints as J[]) got[e.endpoint.address.socketAddress.address] = g.priority ?? 0;
    assert.deepEqual(got, { '10.244.2.1': 0, '10.244.2.2': 1 });
    assert.ok('localityWeightedLbConfig' in (find(TypeUrl.Cluster).commonLbConfig ?? {}));
  });
});
