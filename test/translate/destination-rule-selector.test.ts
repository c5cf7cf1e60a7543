// A DestinationRule with a workloadSelector, as a waypoint's clusters see it
// (sidecar.go: SidecarScope.DestinationRule): in the waypoint's namespace a
// rule whose matchLabels the waypoint's pod labels satisfy beats the
// catch-all for an outbound cluster; an inbound-vip cluster never takes it.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { toProtoJson, TypeUrl, type Json } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS, translateAll } from '../../src/translate';
import { referenceGrant, serviceRoute } from '../ambient/fixtures';

type J = Record<string, Json> & { [k: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

const OUTBOUND = 'outbound|80||api.other.svc.cluster.local';
const INBOUND = 'inbound-vip|80|http|web.app.svc.cluster.local';

const svc = (name: string, namespace: string, ip: string): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace },
    spec: { clusterIP: ip, ports: [{ name: 'http', port: 80 }], selector: { app: name } },
  }) as KubeObject;

const dr = (name: string, namespace: string, host: string, simple: string, selector?: Record<string, string>) =>
  ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: {
      host,
      ...(selector ? { workloadSelector: { matchLabels: selector } } : {}),
      trafficPolicy: { loadBalancer: { simple } },
    },
  }) as KubeObject;

const waypointPod = (labels: Record<string, string>): KubeObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'waypoint-abc', namespace: 'app', labels },
    spec: { nodeName: 'n', serviceAccountName: 'waypoint' },
    status: { phase: 'Running', podIP: '10.244.0.9', conditions: [{ type: 'Ready', status: 'True' }] },
  }) as KubeObject;

const base: KubeObject[] = [
  {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
  },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other' } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { addresses: [{ type: 'IPAddress', value: '10.96.100.1' }] },
  } as KubeObject,
  svc('web', 'app', '10.96.0.10'),
  svc('api', 'other', '10.96.0.20'),
  serviceRoute('to-api', 'app', 'web', 'api', 'other'),
  referenceGrant('from-app', 'other', 'app'),
  dr('api-all', 'app', 'api.other.svc.cluster.local', 'ROUND_ROBIN'),
  dr('web-all', 'app', 'web.app.svc.cluster.local', 'ROUND_ROBIN'),
];

/** The load balancer policy and `istio.config` rule of one of the waypoint's clusters. */
function cluster(objects: KubeObject[], name: string): { lb: string; rule: string } {
  const { world } = applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  );
  const out = translateAll(world, { ...DEFAULT_OPTIONS, assumeReady: true }).waypoints.get('app/waypoint');
  assert.ok(out, 'the waypoint is translated');
  const r = (out.resources.get(TypeUrl.Cluster) ?? []).find((x) => x.name === name);
  assert.ok(r, `${name} is served`);
  const c = toProtoJson(r.messageName, r.body) as J;
  const config = String(c.metadata?.filterMetadata?.istio?.config ?? '');
  return { lb: String(c.lbPolicy ?? 'ROUND_ROBIN'), rule: config.slice(config.lastIndexOf('/') + 1) };
}

describe('workloadSelector DestinationRules on a waypoint (sidecar.go: SidecarScope.DestinationRule)', () => {
  const selected = dr('api-edge', 'app', 'api.other.svc.cluster.local', 'RANDOM', {
    'gateway.networking.k8s.io/gateway-name': 'waypoint',
    tier: 'edge',
  });
  const pod = waypointPod({ 'gateway.networking.k8s.io/gateway-name': 'waypoint', tier: 'edge' });

  it("a rule selecting the waypoint's pod labels wins over the catch-all on the outbound cluster", () =>
    assert.deepEqual(cluster([...base, pod, selected], OUTBOUND), { lb: 'RANDOM', rule: 'api-edge' }));

  it('a rule the waypoint pod does not match leaves the catch-all', () => {
    const plain = waypointPod({ 'gateway.networking.k8s.io/gateway-name': 'waypoint' });
    assert.deepEqual(cluster([...base, plain, selected], OUTBOUND), { lb: 'ROUND_ROBIN', rule: 'api-all' });
  });

  it('without a waypoint pod, the labels the controller gives its pods are matched', () => {
    const byName = dr('api-wp', 'app', 'api.other.svc.cluster.local', 'RANDOM', {
      'gateway.networking.k8s.io/gateway-name': 'waypoint',
    });
    assert.deepEqual(cluster([...base, byName], OUTBOUND), { lb: 'RANDOM', rule: 'api-wp' });
    assert.deepEqual(cluster([...base, selected], OUTBOUND), { lb: 'ROUND_ROBIN', rule: 'api-all' });
  });

  it("a selector rule in the service's namespace never reaches the waypoint", () => {
    const remote = dr('api-remote', 'other', 'api.other.svc.cluster.local', 'RANDOM', {
      'gateway.networking.k8s.io/gateway-name': 'waypoint',
    });
    const withoutLocal = base.filter((o) => o.metadata.name !== 'api-all');
    assert.deepEqual(cluster([...withoutLocal, pod, remote], OUTBOUND), { lb: 'LEAST_REQUEST', rule: '' });
  });

  it('an inbound-vip cluster never takes a selector rule, even one that matches', () => {
    const web = dr('web-edge', 'app', 'web.app.svc.cluster.local', 'RANDOM', {
      'gateway.networking.k8s.io/gateway-name': 'waypoint',
    });
    assert.deepEqual(cluster([...base, pod, web], INBOUND), { lb: 'ROUND_ROBIN', rule: 'web-all' });
  });
});
