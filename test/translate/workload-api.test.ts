import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildAmbientIndex } from '../../src/ambient';
import { decodeMessage, TypeUrl } from '../../src/envoy';
import { applyChanges, EMPTY_WORLD, type KubeObject, type World } from '../../src/model';
import { DEFAULT_OPTIONS } from '../../src/translate';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';
import { workloadApiNamespaces } from '../../src/translate/workload-api/workload-api-view';
import { SnapshotCache } from '../../src/xds';

const objs: KubeObject[] = [
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'app', labels: { 'istio.io/dataplane-mode': 'ambient' } } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'waypoint', namespace: 'app' },
    spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
    status: { addresses: [{ value: '10.0.0.50' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'echo', namespace: 'app' },
    spec: { clusterIP: '10.0.0.10', selector: { app: 'echo' }, ports: [{ port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'echo-1', namespace: 'app', labels: { app: 'echo' } },
    spec: { nodeName: 'n1', serviceAccountName: 'echo' },
    status: { podIP: '10.1.0.1', phase: 'Running' },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'l4', namespace: 'app' },
    spec: {
      selector: { matchLabels: { app: 'echo' } },
      action: 'ALLOW',
      rules: [
        {
          from: [
            { source: { principals: ['cluster.local/ns/app/sa/client'], serviceAccounts: ['client', 'ops/admin'] } },
          ],
          to: [{ operation: { ports: ['8080'] } }],
        },
        { to: [{ operation: { paths: ['/x'] } }] },
      ],
    },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'deny-l7', namespace: 'app' },
    spec: {
      action: 'DENY',
      rules: [{ from: [{ source: { namespaces: ['bad'] } }], to: [{ operation: { methods: ['POST'] } }] }],
    },
  },
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'for-waypoint', namespace: 'app' },
    spec: { targetRefs: [{ kind: 'Service', name: 'echo' }], action: 'DENY', rules: [{}] },
  },
];

function build(world: World) {
  return buildWorkloadApi(world, buildAmbientIndex(world, { assumeReady: true }), DEFAULT_OPTIONS);
}

describe('workload API resources', () => {
  let world = applyChanges(
    EMPTY_WORLD,
    objs.map((object) => ({ op: 'upsert' as const, object })),
  ).world;

  it('sends ztunnel only L4 policies, failing closed on HTTP fields', () => {
    const authz = build(world).get(TypeUrl.Authorization)!;
    assert.deepEqual(
      authz.map((r) => r.name),
      ['app/l4', 'app/deny-l7'],
      'targetRef policies are for waypoints',
    );
    const l4 = decodeMessage('istio.security.Authorization', authz[0]!.body);
    assert.equal(l4.scope, 'WORKLOAD_SELECTOR');
    assert.equal(l4.groups.length, 1, 'the ALLOW rule using paths is dropped (narrower)');
    // authorization.go: handleRule puts the `to` clause before the `from` clause.
    assert.deepEqual(l4.groups[0]!.rules[0]!.matches[0]!.destination_ports, [8080]);
    const from = l4.groups[0]!.rules[1]!.matches[0]!;
    assert.equal(from.principals[0]!.exact, 'cluster.local/ns/app/sa/client');
    assert.deepEqual(
      from.service_accounts,
      [
        { namespace: 'app', serviceAccount: 'client' },
        { namespace: 'ops', serviceAccount: 'admin' },
      ],
      'authorization.go: stringToServiceAccountMatch — a bare name is in the policy namespace',
    );
    const deny = decodeMessage('istio.security.Authorization', authz[1]!.body);
    assert.equal(deny.scope, 'NAMESPACE');
    assert.equal(deny.groups.length, 1, 'the DENY rule keeps its L4 part (wider)');
    const wl = decodeMessage('istio.workload.Workload', build(world).get(TypeUrl.Workload)![0]!.body);
    assert.deepEqual(wl.authorization_policies, ['app/l4']);
  });

  it("gives a pod its node's topology labels as locality, not its own locality label (ambient/workloads.go: getPodLocality; nodes.go: nodeLocality)", () => {
    const pod = { ...objs[3]!, metadata: { ...objs[3]!.metadata, labels: { app: 'echo', 'istio-locality': 'x.y' } } };
    const node = (labels: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1', labels },
    });
    const localityWith = (extra: KubeObject[]) => {
      const w = applyChanges(
        EMPTY_WORLD,
        [...objs.filter((o) => o !== objs[3]), pod, ...extra].map((object) => ({ op: 'upsert' as const, object })),
      ).world;
      const body = build(w).get(TypeUrl.Workload)![0]!.body;
      return decodeMessage('istio.workload.Workload', body).locality;
    };
    assert.equal(localityWith([]) ?? undefined, undefined, 'no node: no locality');
    assert.deepEqual(
      localityWith([
        node({
          'topology.kubernetes.io/region': 'us-west1',
          'topology.kubernetes.io/zone': 'us-west1-a',
          'failure-domain.beta.kubernetes.io/region': 'old',
        }),
      ]),
      { region: 'us-west1', zone: 'us-west1-a', subzone: '' },
    );
    // Only the GA labels are read here; the beta ones alone give none.
    assert.equal(localityWith([node({ 'failure-domain.beta.kubernetes.io/region': 'old' })]) ?? undefined, undefined);
  });

  it('changes only the affected entries on relabel and delete', () => {
    const cache = new SnapshotCache();
    cache.set('z', new Map([[TypeUrl.Address, build(world).get(TypeUrl.Address)!]]));
    world = applyChanges(world, [
      {
        op: 'upsert',
        object: { ...objs[2]!, metadata: { ...objs[2]!.metadata, labels: { 'istio.io/use-waypoint': 'waypoint' } } },
      },
    ]).world;
    const relabel = cache.set('z', new Map([[TypeUrl.Address, build(world).get(TypeUrl.Address)!]]));
    assert.deepEqual(
      relabel.map((c) => [...c.names]),
      [['app/echo.app.svc.cluster.local']],
    );
    const svc = decodeMessage(
      'istio.workload.Address',
      cache.get('z', TypeUrl.Address).get('app/echo.app.svc.cluster.local')!.body,
    );
    assert.deepEqual([...svc.service!.waypoint!.address!.address], [10, 0, 0, 50]);
    world = applyChanges(world, [{ op: 'delete', kind: 'Pod', namespace: 'app', name: 'echo-1' }]).world;
    const del = cache.set('z', new Map([[TypeUrl.Address, build(world).get(TypeUrl.Address)!]]));
    assert.deepEqual(
      del.map((c) => [...c.names]),
      [['Kubernetes//Pod/app/echo-1']],
    );
  });

  it('describes ServiceEntries and WorkloadEntries too', () => {
    const w = applyChanges(EMPTY_WORLD, [
      { op: 'upsert', object: objs[0]! },
      {
        op: 'upsert',
        object: {
          apiVersion: 'networking.istio.io/v1',
          kind: 'ServiceEntry',
          metadata: { name: 'vm', namespace: 'app', labels: { 'istio.io/use-waypoint': 'waypoint' } },
          spec: {
            hosts: ['vm.example.com'],
            addresses: ['240.0.0.1'],
            ports: [{ number: 80, name: 'http', targetPort: 8080 }],
            workloadSelector: { labels: { app: 'vm' } },
          },
        },
      },
      {
        op: 'upsert',
        object: {
          apiVersion: 'networking.istio.io/v1',
          kind: 'WorkloadEntry',
          metadata: { name: 'vm-1', namespace: 'app' },
          spec: { address: '192.168.9.9', labels: { app: 'vm' }, serviceAccount: 'vm' },
        },
      },
      { op: 'upsert', object: objs[1]! },
    ]).world;
    const addrs = build(w).get(TypeUrl.Address)!;
    const se = decodeMessage(
      'istio.workload.Address',
      addrs.find((a) => a.name === 'app/vm.example.com')!.body,
    ).service!;
    assert.deepEqual([...se.addresses[0]!.address], [240, 0, 0, 1]);
    assert.ok(se.waypoint, 'a labelled ServiceEntry binds to its waypoint');
    const we = decodeMessage(
      'istio.workload.Address',
      addrs.find((a) => a.name === 'Kubernetes//WorkloadEntry/app/vm-1')!.body,
    ).workload!;
    assert.equal(we.service_account, 'vm');
    assert.deepEqual(Object.keys(we.services), ['app/vm.example.com']);
  });
  it('names the waypoint by its Hostname status address first, else its IP (waypoints.go: getGatewayAddress)', () => {
    const waypointOf = (addresses: { type?: string; value: string }[]) => {
      const gw = { ...objs[1]!, status: { addresses } } as KubeObject;
      const svc = { ...objs[2]!, metadata: { ...objs[2]!.metadata, labels: { 'istio.io/use-waypoint': 'waypoint' } } };
      const w = applyChanges(
        EMPTY_WORLD,
        [objs[0]!, gw, svc].map((object) => ({ op: 'upsert' as const, object })),
      ).world;
      const addr = build(w)
        .get(TypeUrl.Address)!
        .find((a) => a.name === 'app/echo.app.svc.cluster.local')!;
      return decodeMessage('istio.workload.Address', addr.body).service!.waypoint!;
    };
    const host = 'waypoint.app.svc.cluster.local';
    const both = waypointOf([
      { type: 'IPAddress', value: '10.0.0.50' },
      { type: 'Hostname', value: host },
    ]);
    assert.equal(both.address, undefined, 'the hostname wins even when an IP comes first');
    assert.deepEqual(both.hostname, { namespace: 'app', hostname: host });
    assert.equal(both.hbone_mtls_port, 15008);
    const ipOnly = waypointOf([{ type: 'IPAddress', value: '10.0.0.51' }]);
    assert.deepEqual([...ipOnly.address!.address], [10, 0, 0, 51]);
    assert.equal(ipOnly.hostname, undefined);
  });
});

describe('workloadApiNamespaces', () => {
  it('rebuilds the namespaces of the kinds the workload API reads, and no namespace for a route or rule', () => {
    assert.deepEqual(
      [...(workloadApiNamespaces(['Pod/a/p', 'Service/b/s', 'Namespace/c', 'ServiceEntry/d/e']) as Set<string>)],
      ['a', 'b', 'c', 'd'],
    );
    assert.deepEqual(
      [
        ...(workloadApiNamespaces([
          'HTTPRoute/a/r',
          'DestinationRule/a/d',
          'Telemetry/a/t',
          'VirtualService/a/v',
        ]) as Set<string>),
      ],
      [],
    );
  });

  it('rebuilds every namespace for a cluster-scoped object other than a Namespace', () => {
    assert.equal(workloadApiNamespaces(['HTTPRoute/a/r', 'Node/n1']), 'all');
  });
});
