import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { analyzeWorld } from '../../src/cli/analyze';
import { applyChanges, EMPTY_WORLD, type KubeObject } from '../../src/model';
import { DEFAULT_OPTIONS } from '../../src/translate';

const gateway: KubeObject = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'waypoint', namespace: 'egress' },
  spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
};

function entry(
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
  status?: object,
): KubeObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'ServiceEntry',
    metadata: { name, namespace: 'egress', ...(labels ? { labels } : {}) },
    spec: { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec },
    ...(status ? { status } : {}),
  } as KubeObject;
}

function findings(objects: KubeObject[]): string[] {
  const { world } = applyChanges(
    EMPTY_WORLD,
    [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'egress' } } as KubeObject, gateway, ...objects].map(
      (object) => ({ op: 'upsert' as const, object }),
    ),
  );
  const index = buildAmbientIndex(world, { ...DEFAULT_OPTIONS, assumeReady: true });
  return analyzeWorld(world, index).map((m) => `${m.code} ${m.kind} ${m.name}`);
}

const bound = { 'istio.io/use-waypoint': 'waypoint' };

describe('analyze: ServiceEntries and waypoints', () => {
  it('warns when a bound host has no address, which the waypoint matches on alone (listener_waypoint.go: buildWaypointInternal)', () => {
    assert.deepEqual(findings([entry('bare', { hosts: ['bare.example.com'], resolution: 'DNS' }, bound)]), [
      'ISL0004 ServiceEntry bare',
    ]);
    const allocated = { addresses: [{ host: 'ok.example.com', value: '240.240.0.1' }] };
    assert.deepEqual(findings([entry('ok', { hosts: ['ok.example.com'], resolution: 'DNS' }, bound, allocated)]), []);
  });

  it('warns about a DYNAMIC_DNS entry without a waypoint and a route whose parent entry has none (services.go: serviceEntriesInfo)', () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'to-wild', namespace: 'egress' },
      spec: { parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'wild' }] },
    } as KubeObject;
    assert.deepEqual(findings([entry('wild', { hosts: ['*.example.org'], resolution: 'DYNAMIC_DNS' }), route]), [
      'ISL0002 HTTPRoute to-wild',
      'ISL0005 ServiceEntry wild',
    ]);
  });
});
