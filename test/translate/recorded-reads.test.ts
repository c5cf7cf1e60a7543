// A builder's dependency record is what it read: every change to the World
// that alters a service port's endpoints must reach a key that endpointIRs
// recorded (reads.ts: readKeysOf), or an incremental translation would keep
// stale endpoints. Checked by changing each object in turn, not by listing
// what endpointIRs reads.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import {
  applyChanges,
  EMPTY_WORLD,
  get,
  keyOf,
  list,
  type Change,
  type KindName,
  type KubeObject,
  type Service,
  type World,
} from '../../src/model';
import { readKeysOf, Reads } from '../../src/translate/reads';
import { endpointIRs } from '../../src/translate/services';

const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: {} } };
const node = (name: string, zone: string) => ({
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name, labels: { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': zone } },
});
const pod = (name: string, app: string, ip: string, nodeName: string) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'app', labels: { app } },
  spec: { nodeName, containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});
const service = (name: string, app: string) => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'app' },
  spec: { selector: { app }, clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
});
const slice = (name: string, svc: string, podName: string, ip: string) => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'app', labels: { 'kubernetes.io/service-name': svc } },
  addressType: 'IPv4',
  ports: [{ name: 'http', port: 8080 }],
  endpoints: [{ addresses: [ip], conditions: { ready: true }, targetRef: { kind: 'Pod', name: podName } }],
});

// `web` has an EndpointSlice; `api` has none, so its selector picks its pods.
const objects = [
  ns,
  node('n1', 'z1'),
  node('n2', 'z2'),
  service('web', 'web'),
  service('api', 'api'),
  pod('web-1', 'web', '10.0.0.1', 'n1'),
  pod('web-2', 'web', '10.0.0.2', 'n2'),
  pod('api-1', 'api', '10.0.1.1', 'n1'),
  pod('db-1', 'db', '10.0.2.1', 'n2'),
  slice('web-abc', 'web', 'web-1', '10.0.0.1'),
] as unknown as KubeObject[];

const world0 = applyChanges(
  EMPTY_WORLD,
  objects.map((object) => ({ op: 'upsert' as const, object })),
).world;

/** Each change to try, and whether it keeps the object in its namespace with the same labels. */
function changesOf(o: KubeObject): { what: string; change: Change; sameMembers: boolean }[] {
  const c = structuredClone(o) as KubeObject & Record<string, unknown>;
  const out = [
    {
      what: 'deleted',
      change: { op: 'delete', kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name } as Change,
      sameMembers: false,
    },
  ];
  const relabelled = structuredClone(o) as KubeObject;
  relabelled.metadata.labels = {
    ...(o.metadata.labels ?? {}),
    app: 'api',
    'topology.kubernetes.io/zone': 'z9',
    'istio.io/dataplane-mode': 'ambient',
  };
  out.push({ what: 'relabelled', change: { op: 'upsert', object: relabelled }, sameMembers: false });
  // Content that is not a label: a pod's address, a slice's endpoint.
  if (o.kind === 'Pod') (c['status'] as Record<string, unknown>)['podIP'] = '10.9.9.9';
  if (o.kind === 'EndpointSlice')
    c['endpoints'] = [{ addresses: ['10.9.9.9'], targetRef: { kind: 'Pod', name: 'db-1' } }];
  out.push({ what: 'edited', change: { op: 'upsert', object: c }, sameMembers: true });
  return out;
}

const added: KubeObject[] = [
  pod('api-2', 'api', '10.0.1.2', 'n2'),
  slice('api-xyz', 'api', 'api-1', '10.0.1.1'),
  slice('web-def', 'web', 'web-2', '10.0.0.2'),
] as unknown as KubeObject[];

function endpointsWithReads(world: World, name: string) {
  const svc = get(world, 'Service', 'app', name) as Service;
  const reads = new Reads();
  const out = (svc.spec?.ports ?? []).map((p) => endpointIRs(svc, p, { world, reads }, 'Kubernetes'));
  return { out: JSON.stringify(out), keys: reads.keys };
}

describe('endpointIRs records what it reads', () => {
  for (const name of ['web', 'api'])
    it(`every change that alters ${name}'s endpoints reaches a key it recorded`, () => {
      const before = endpointsWithReads(world0, name);
      const tried: { key: string; what: string; change: Change; sameMembers: boolean }[] = [];
      for (const kind of ['Namespace', 'Node', 'Pod', 'EndpointSlice'] as KindName[])
        for (const o of list(world0, kind)) for (const t of changesOf(o)) tried.push({ key: keyOf(o), ...t });
      for (const o of added)
        tried.push({ key: keyOf(o), what: 'added', change: { op: 'upsert', object: o }, sameMembers: false });
      let altering = 0;
      for (const t of tried) {
        const after = endpointsWithReads(applyChanges(world0, [t.change]).world, name);
        if (after.out === before.out) continue;
        altering++;
        const reached = readKeysOf(t.key, t.sameMembers).some((k) => before.keys.has(k));
        assert.ok(
          reached,
          `${t.key} ${t.what} changes ${name}'s endpoints, but endpointIRs recorded no key it reaches`,
        );
      }
      // The fixture is worth checking only if changes do alter the endpoints.
      assert.ok(altering >= 4, `only ${altering} changes altered ${name}'s endpoints`);
    });
});
