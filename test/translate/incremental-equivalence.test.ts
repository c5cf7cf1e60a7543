// The incremental translator (index, waypoints, statuses) and the shared
// views built reusing their last encodings (workload API, proxyless) must
// give exactly what a full translation of the same World gives, after every
// kind of edit.
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { generateMesh, nsName, svcName } from '../../bench/mesh';
import type { AmbientIndex } from '../../src/ambient';
import { applyChanges, EMPTY_WORLD, get, type Change, type KubeObject, type World } from '../../src/model';
import {
  DEFAULT_OPTIONS,
  IncrementalTranslator,
  translateAll,
  translateWaypoint,
  type ResourceSet,
} from '../../src/translate';
import { parsePlaceKey, placeKey, placeOf, waypointKeyOf } from '../../src/translate/place-key';
import { buildProxyless } from '../../src/translate/proxyless/proxyless';
import { ProxylessBuilder } from '../../src/translate/proxyless/proxyless-builder';
import { buildWorkloadApi } from '../../src/translate/workload-api/workload-api';
import { ServeStep } from '../../src/server/pipeline-step';
import { SecretStep } from '../../src/server/pipeline-secrets';
import { buildSecrets, referencedCredentials } from '../../src/translate/waypoint/secrets';
import { PROXYLESS_KEY, ZTUNNEL_KEY } from '../../src/server/proxy-key';
import { TypeUrl } from '../../src/envoy';
import { SnapshotCache } from '../../src/xds';

const OPTS = { ...DEFAULT_OPTIONS, assumeReady: true };
const NS0 = nsName(0);
const NS1 = nsName(1);
const NS2 = nsName(2);

/** Extra objects whose reads cross namespaces: a mesh config, a CUSTOM policy, a cross-namespace backend. */
const extras: KubeObject[] = [
  // A Service without EndpointSlices: its endpoints are the pods its selector picks.
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'by-selector', namespace: NS0 },
    spec: { clusterIP: '10.99.0.7', selector: { pick: 'me' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'istio', namespace: 'istio-system' },
    data: { mesh: 'extensionProviders: []\n' },
  } as KubeObject,
  {
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'custom', namespace: NS0 },
    spec: {
      targetRefs: [{ kind: 'Service', group: '', name: svcName(1) }],
      action: 'CUSTOM',
      provider: { name: 'ext-authz' },
      rules: [{}],
    },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'cross', namespace: NS0 },
    spec: {
      parentRefs: [{ group: '', kind: 'Service', name: svcName(2), port: 80 }],
      rules: [{ backendRefs: [{ name: svcName(100), namespace: NS1, port: 80 }] }],
    },
  },
];

/**
 * The same World made of copies of its objects: a reference translation of it
 * shares no object with the incremental one, so no memo keyed by an object's
 * identity (module-level WeakMaps, views cached on tables) can hand the
 * reference a value the incremental side left behind.
 */
function freshCopy(world: World): World {
  const objects = Object.values(world.objects).flatMap((t) => [...(t as Map<string, KubeObject>).values()]);
  return worldOf(objects.map((o) => structuredClone(o) as KubeObject));
}

function worldOf(objects: KubeObject[]): World {
  return applyChanges(
    EMPTY_WORLD,
    objects.map((object) => ({ op: 'upsert' as const, object })),
  ).world;
}

const versions = (rs: ResourceSet) =>
  [...rs].map(([type, list]) => [type, list.map((r) => `${r.name}@${r.version}`)] as const);

/** `name@version` of each resource by type, sorted: what a client would end up holding (the last of a name wins). */
const sorted = (rs: ResourceSet) =>
  [...rs].map(
    ([type, list]) =>
      [type, [...new Map(list.map((r) => [r.name, r.version]))].map(([n, v]) => `${n}@${v}`).sort()] as const,
  );

/** The same, of what the cache holds under `key`. */
const held = (cache: SnapshotCache, key: string, types: Iterable<string>) =>
  [...types].map((type) => [type, [...cache.get(key, type)].map(([n, r]) => `${n}@${r.version}`).sort()] as const);

function indexSummary(i: AmbientIndex) {
  return {
    waypoints: [...i.waypoints.keys()],
    bindings: [...i.bindings.entries()],
    served: [...i.waypoints.keys()].map((k) => [k, i.servicesOf(k), i.workloadsOf(k)]),
  };
}

describe('incremental translation matches a full translation', () => {
  let world = worldOf([...(generateMesh({ services: 300 }) as unknown as KubeObject[]), ...extras]);
  const t = new IncrementalTranslator(OPTS);
  // The shared views are patched into the cache step by step, as serve does.
  const cache = new SnapshotCache();
  const serve = new ServeStep(t, cache, OPTS);
  serve.secrets = new SecretStep(cache);
  serve.run(world, 'all');
  const obj = (kind: string, ns: string | undefined, name: string): KubeObject => {
    const o = get(world, kind as never, ns, name) as KubeObject | undefined;
    assert.ok(o, `${kind} ${ns}/${name} is in the mesh`);
    return o;
  };
  const upsert = (object: KubeObject): Change => ({ op: 'upsert', object });
  const entry = (name: string, spec: Record<string, unknown>, address?: string): KubeObject =>
    ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name, namespace: NS0 },
      spec: { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec },
      ...(address ? { status: { addresses: [{ host: (spec.hosts as string[])[0], value: address }] } } : {}),
    }) as KubeObject;
  const pod = obj('Pod', NS0, `${svcName(3)}-0`) as KubeObject & { status: object };
  const slice = obj('EndpointSlice', NS0, `${svcName(3)}-abc12`) as KubeObject & {
    endpoints: { addresses: string[] }[];
  };
  const route = obj('HTTPRoute', NS0, svcName(3)) as KubeObject & { spec: object };
  const policy = obj('AuthorizationPolicy', NS0, `allow-${svcName(0)}`) as KubeObject & { spec: object };
  const ns1 = obj('Namespace', undefined, NS1);
  const backend = obj('Service', NS1, svcName(100));
  const otherBackend = obj('Service', NS1, svcName(101));
  const node = (labels: Record<string, string>): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'solo', labels },
  });
  const selectorPolicy = (app: string): KubeObject => ({
    apiVersion: 'security.istio.io/v1',
    kind: 'AuthorizationPolicy',
    metadata: { name: 'ztunnel-pick', namespace: NS0 },
    spec: {
      selector: { matchLabels: { app } },
      action: 'DENY',
      rules: [{ from: [{ source: { namespaces: ['x'] } }] }],
    },
  });
  const telemetry = (ns: string, name: string, spec: object): KubeObject => ({
    apiVersion: 'telemetry.istio.io/v1',
    kind: 'Telemetry',
    metadata: { name, namespace: ns },
    spec,
  });
  /** A tracing collector outside the mesh (istio-system is not ambient). */
  const collector = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: 'istio-system' },
    spec: { clusterIP: name === 'zipkin' ? '10.99.1.1' : '10.99.1.2', ports: [{ name: 'http', port: 9411 }] },
  });
  const collectorSlice = (address: string): KubeObject =>
    ({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'zipkin-abc12', namespace: 'istio-system', labels: { 'kubernetes.io/service-name': 'zipkin' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [address], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 9411, protocol: 'TCP' }],
    }) as KubeObject;
  const steps: [string, () => Change[], 'local' | 'any'][] = [
    [
      'a route edit',
      () => [upsert({ ...route, spec: { ...route.spec, rules: [{ backendRefs: [{ name: svcName(4), port: 80 }] }] } })],
      'local',
    ],
    [
      'a pod move (pod and slice)',
      () => [
        upsert({ ...pod, status: { ...pod.status, podIP: '10.250.0.9', podIPs: [{ ip: '10.250.0.9' }] } }),
        upsert({
          ...slice,
          endpoints: slice.endpoints.map((e, i) => (i === 0 ? { ...e, addresses: ['10.250.0.9'] } : e)),
        } as KubeObject),
      ],
      'local',
    ],
    [
      'a pod relabelled into a selector-only Service',
      () => {
        const p = obj('Pod', NS0, `${svcName(5)}-0`);
        return [upsert({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, pick: 'me' } } })];
      },
      'local',
    ],
    [
      'that pod moving (its labels unchanged)',
      () => {
        const p = obj('Pod', NS0, `${svcName(5)}-0`) as KubeObject & { status: object };
        return [upsert({ ...p, status: { ...p.status, podIP: '10.250.0.77', podIPs: [{ ip: '10.250.0.77' }] } })];
      },
      'local',
    ],
    [
      'a second EndpointSlice for a Service',
      () => [
        upsert({
          ...slice,
          metadata: {
            ...slice.metadata,
            name: `${svcName(6)}-second`,
            labels: { 'kubernetes.io/service-name': svcName(6) },
          },
          endpoints: [{ addresses: ['10.250.0.66'], conditions: { ready: true } }],
        } as KubeObject),
      ],
      'local',
    ],
    [
      'that EndpointSlice deleted',
      () => [{ op: 'delete', kind: 'EndpointSlice', namespace: NS0, name: `${svcName(6)}-second` }],
      'local',
    ],
    [
      'a pod scheduled onto a node of its own',
      () => {
        const p = obj('Pod', NS0, `${svcName(3)}-0`) as KubeObject & { spec: object };
        return [upsert({ ...p, spec: { ...p.spec, nodeName: 'solo' } })];
      },
      'local',
    ],
    [
      'that node appearing with topology labels (endpoint and workload locality)',
      () => [upsert(node({ 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' }))],
      'local',
    ],
    [
      'that node relabelled',
      () => [upsert(node({ 'topology.kubernetes.io/region': 'r2', 'topology.istio.io/subzone': 's2' }))],
      'local',
    ],
    ['that node deleted', () => [{ op: 'delete', kind: 'Node', name: 'solo' }], 'local'],
    ['a policy edit', () => [upsert({ ...policy, spec: { ...policy.spec, action: 'DENY' } })], 'local'],
    // Proxyless pieces read routes and policies by the Service they name:
    // moving one must rebuild the service it left as well as the one it joined.
    [
      'that policy re-targeted to another Service',
      () => [
        upsert({ ...policy, spec: { ...policy.spec, targetRefs: [{ kind: 'Service', group: '', name: svcName(1) }] } }),
      ],
      'local',
    ],
    // A workload's message lists the selector policies that pick it, and only
    // those: a selector policy's edit must reach the pods it selected and selects.
    [
      "a ztunnel policy selecting one Service's pods (their workloads list it)",
      () => [upsert(selectorPolicy(svcName(7)))],
      'local',
    ],
    ["that policy's selector moved to another Service's pods", () => [upsert(selectorPolicy(svcName(8)))], 'local'],
    [
      'that policy deleted',
      () => [{ op: 'delete', kind: 'AuthorizationPolicy', namespace: NS0, name: 'ztunnel-pick' }],
      'local',
    ],
    [
      'a route re-parented to another Service',
      () => [
        upsert({
          ...route,
          spec: {
            parentRefs: [{ group: '', kind: 'Service', name: svcName(6), port: 80 }],
            rules: [{ backendRefs: [{ name: svcName(4), port: 80, weight: 3 }] }],
          },
        }),
      ],
      'local',
    ],
    ['that route deleted', () => [{ op: 'delete', kind: 'HTTPRoute', namespace: NS0, name: svcName(3) }], 'local'],
    ['that route back as it was', () => [upsert(route)], 'local'],
    [
      'a namespace relabel that moves no binding',
      () => [upsert({ ...ns1, metadata: { ...ns1.metadata, labels: { ...ns1.metadata.labels, team: 'x' } } })],
      'any',
    ],
    [
      'a namespace leaving its waypoint',
      () => [upsert({ ...ns1, metadata: { ...ns1.metadata, labels: { 'istio.io/dataplane-mode': 'ambient' } } })],
      'any',
    ],
    ['the namespace coming back', () => [upsert(ns1)], 'any'],
    ['a deleted backend Service', () => [{ op: 'delete', kind: 'Service', namespace: NS1, name: svcName(100) }], 'any'],
    ['the backend Service back', () => [upsert(backend)], 'any'],
    [
      'a ReferenceGrant for the cross-namespace route',
      () => [
        upsert({
          apiVersion: 'gateway.networking.k8s.io/v1beta1',
          kind: 'ReferenceGrant',
          metadata: { name: 'allow', namespace: NS1 },
          spec: {
            from: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: NS0 }],
            to: [{ group: '', kind: 'Service' }],
          },
        }),
      ],
      'any',
    ],
    [
      'a mesh config naming the CUSTOM provider',
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh: 'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: authz.bench-000.svc.cluster.local\n    port: 9000\n',
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'a namespace-wide Telemetry turning on access logs',
      () => [upsert(telemetry(NS0, 'logs', { accessLogging: [{ providers: [{ name: 'envoy' }] }] }))],
      'local',
    ],
    [
      'a mesh config adding a zipkin provider beside the CUSTOM one',
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh:
              'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: authz.bench-000.svc.cluster.local\n    port: 9000\n' +
              `- name: zipkin\n  zipkin:\n    service: ${svcName(7)}.${NS0}.svc.cluster.local\n    port: 80\n`,
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'a Service-targeted Telemetry: zipkin tracing, a CEL log filter, a metric override',
      () => [
        upsert(
          telemetry(NS0, 'svc', {
            targetRefs: [{ kind: 'Service', group: '', name: svcName(8) }],
            tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 20 }],
            accessLogging: [{ providers: [{ name: 'envoy' }], filter: { expression: 'response.code >= 400' } }],
            metrics: [{ overrides: [{ match: { metric: 'REQUEST_COUNT' }, disabled: true }] }],
          }),
        ),
      ],
      'local',
    ],
    [
      'the tracing collector Service deleted',
      () => [{ op: 'delete', kind: 'Service', namespace: NS0, name: svcName(7) }],
      'local',
    ],
    [
      'a root-namespace Telemetry disabling logs mesh-wide',
      () => [upsert(telemetry('istio-system', 'mesh-default', { accessLogging: [{ disabled: true }] }))],
      'any',
    ],
    [
      'the namespace Telemetry deleted',
      () => [{ op: 'delete', kind: 'Telemetry', namespace: NS0, name: 'logs' }],
      'local',
    ],
    ['a deleted route', () => [{ op: 'delete', kind: 'HTTPRoute', namespace: NS0, name: svcName(5) }], 'local'],
    [
      'a VirtualService splitting a service with a cross-namespace destination',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'split', namespace: NS0 },
          spec: {
            hosts: [svcName(10)],
            http: [
              {
                match: [{ uri: { prefix: '/v2' } }],
                route: [
                  { destination: { host: svcName(10), subset: 'v2' }, weight: 90 },
                  { destination: { host: `${svcName(101)}.${NS1}.svc.cluster.local` }, weight: 10 },
                ],
              },
            ],
            tcp: [{ route: [{ destination: { host: svcName(8) } }] }],
          },
        }),
      ],
      'local',
    ],
    [
      'that VirtualService renamed to its host by a wildcard',
      () => [
        upsert({
          ...obj('VirtualService', NS0, 'split'),
          spec: {
            hosts: [`*.${NS0}.svc.cluster.local`],
            http: [{ route: [{ destination: { host: svcName(8) } }] }],
          },
        }),
      ],
      'local',
    ],
    [
      'the cross-namespace destination deleted',
      () => [{ op: 'delete', kind: 'Service', namespace: NS1, name: svcName(101) }],
      'any',
    ],
    [
      'the VirtualService deleted',
      () => [{ op: 'delete', kind: 'VirtualService', namespace: NS0, name: 'split' }],
      'local',
    ],
    [
      'a VirtualService delegating to one in a namespace no waypoint reads',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'root', namespace: NS0 },
          spec: {
            hosts: [svcName(12)],
            http: [{ match: [{ uri: { prefix: '/api' } }], delegate: { name: 'leaf', namespace: 'delegates' } }],
          },
        }),
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'VirtualService',
          metadata: { name: 'leaf', namespace: 'delegates' },
          spec: { http: [{ route: [{ destination: { host: `${svcName(13)}.${NS0}.svc.cluster.local` } }] }] },
        }),
      ],
      'local',
    ],
    [
      'the delegate edited (only the delegating waypoint read it)',
      () => [
        upsert({
          ...obj('VirtualService', 'delegates', 'leaf'),
          spec: {
            http: [
              {
                match: [{ uri: { prefix: '/api/v2' } }],
                route: [{ destination: { host: `${svcName(14)}.${NS0}.svc.cluster.local` } }],
              },
            ],
          },
        }),
      ],
      'local',
    ],
    [
      'the delegate deleted',
      () => [{ op: 'delete', kind: 'VirtualService', namespace: 'delegates', name: 'leaf' }],
      'local',
    ],
    ['the root deleted', () => [{ op: 'delete', kind: 'VirtualService', namespace: NS0, name: 'root' }], 'local'],
    ['the destination back', () => [upsert(otherBackend)], 'any'],
    [
      'a canary waypoint for one service (it then serves the service too)',
      () => {
        const svc = obj('Service', NS0, svcName(9));
        const gw = obj('Gateway', NS0, 'waypoint');
        return [
          upsert({ ...gw, metadata: { ...gw.metadata, name: 'canary' } }),
          upsert({
            ...svc,
            metadata: {
              ...svc.metadata,
              labels: { ...svc.metadata.labels, 'istio.io/use-waypoint-canary': 'canary' },
              annotations: { 'istio.io/use-waypoint-canary-weight': '10' },
            },
          }),
        ];
      },
      'any',
    ],
    [
      'a STRICT PeerAuthentication in one namespace (proxyless servers require mTLS)',
      () => [
        upsert({
          apiVersion: 'security.istio.io/v1',
          kind: 'PeerAuthentication',
          metadata: { name: 'default', namespace: NS0 },
          spec: { mtls: { mode: 'STRICT' } },
        }),
      ],
      'any',
    ],
    [
      'an ISTIO_MUTUAL DestinationRule in the root namespace (proxyless clients present certificates)',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'mtls', namespace: 'istio-system' },
          spec: { host: '*.svc.cluster.local', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
        }),
      ],
      'any',
    ],
    // The root rule has no exportTo: a private default hides it from waypoints outside the root namespace.
    [
      'a mesh config keeping rules without exportTo in their namespace',
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh:
              'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: authz.bench-000.svc.cluster.local\n    port: 9000\n' +
              `- name: zipkin\n  zipkin:\n    service: ${svcName(7)}.${NS0}.svc.cluster.local\n    port: 80\n` +
              'defaultDestinationRuleExportTo: [.]\n',
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'the mesh config back to public rules',
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh:
              'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: authz.bench-000.svc.cluster.local\n    port: 9000\n' +
              `- name: zipkin\n  zipkin:\n    service: ${svcName(7)}.${NS0}.svc.cluster.local\n    port: 80\n`,
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'a mesh config with a default HTTP retry policy (every route without one)',
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh:
              'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: authz.bench-000.svc.cluster.local\n    port: 9000\n' +
              `- name: zipkin\n  zipkin:\n    service: ${svcName(7)}.${NS0}.svc.cluster.local\n    port: 80\n` +
              'defaultHttpRetryPolicy: {attempts: 3, retryOn: 5xx}\n',
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'a DestinationRule with subsets, a consistent hash and TLS for one service',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'dr', namespace: NS0 },
          spec: {
            host: svcName(3),
            trafficPolicy: {
              loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } },
              tls: { mode: 'SIMPLE', sni: 'example.com' },
            },
            subsets: [
              { name: 'v1', labels: { version: 'v1' } },
              { name: 'v2', labels: { version: 'v2' } },
            ],
          },
        }),
      ],
      'local',
    ],
    [
      'the DestinationRule edited (connection pool, one subset fewer)',
      () => [
        upsert({
          ...obj('DestinationRule', NS0, 'dr'),
          spec: {
            host: svcName(3),
            trafficPolicy: { connectionPool: { tcp: { maxConnections: 10, idleTimeout: '1m' } } },
            subsets: [{ name: 'v2', labels: { version: 'v2' } }],
          },
        }),
      ],
      'local',
    ],
    // Moving a rule must rebuild what the service it left falls back to (the
    // root rule's mTLS for proxyless clients) and what the one it joined gets.
    [
      'the DestinationRule moved to another host (a full name)',
      () => {
        const dr = obj('DestinationRule', NS0, 'dr') as KubeObject & { spec: object };
        return [upsert({ ...dr, spec: { ...dr.spec, host: `${svcName(6)}.${NS0}.svc.cluster.local` } })];
      },
      'local',
    ],
    [
      'the DestinationRule back on its service (a short name)',
      () => {
        const dr = obj('DestinationRule', NS0, 'dr') as KubeObject & { spec: object };
        return [upsert({ ...dr, spec: { ...dr.spec, host: svcName(3) } })];
      },
      'local',
    ],
    [
      "a pod relabelled into the rule's subset",
      () => {
        const p = obj('Pod', NS0, `${svcName(3)}-0`);
        return [upsert({ ...p, metadata: { ...p.metadata, labels: { ...p.metadata.labels, version: 'v2' } } })];
      },
      'local',
    ],
    [
      'a BackendTLSPolicy and an XBackendTrafficPolicy for another service',
      () => [
        upsert({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'BackendTLSPolicy',
          metadata: { name: 'btls', namespace: NS0 },
          spec: {
            targetRefs: [{ group: '', kind: 'Service', name: svcName(4) }],
            validation: { hostname: 'example.com', wellKnownCACertificates: 'System' },
          },
        }),
        upsert({
          apiVersion: 'gateway.networking.x-k8s.io/v1alpha1',
          kind: 'XBackendTrafficPolicy',
          metadata: { name: 'budget', namespace: NS0 },
          spec: {
            targetRefs: [{ group: '', kind: 'Service', name: svcName(4) }],
            retryConstraint: { budget: { percent: 30 } },
          },
        }),
      ],
      'local',
    ],
    [
      'the BackendTLSPolicy target removed (its status says TargetNotFound)',
      () => [{ op: 'delete', kind: 'Service', namespace: NS0, name: svcName(4) }],
      'local',
    ],
    [
      'the DestinationRule deleted',
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: NS0, name: 'dr' }],
      'local',
    ],
    // Proxyless pieces read DestinationRules by host: a rule's edit must reach
    // the services it matched before and matches now. These services have no
    // HTTPRoute, so the rule's host is the only thing that reaches them; the
    // root namespace's ISTIO_MUTUAL rule applies wherever no other rule does.
    [
      'two Services lose their HTTPRoutes',
      () => [
        { op: 'delete', kind: 'HTTPRoute', namespace: NS0, name: svcName(20) },
        { op: 'delete', kind: 'HTTPRoute', namespace: NS0, name: svcName(21) },
      ],
      'local',
    ],
    [
      'a plaintext DestinationRule for one of them (a full name)',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'plain', namespace: NS0 },
          spec: { host: `${svcName(20)}.${NS0}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'DISABLE' } } },
        }),
      ],
      'local',
    ],
    [
      'that rule moved to the other (a short name)',
      () => {
        const dr = obj('DestinationRule', NS0, 'plain') as KubeObject & { spec: object };
        return [upsert({ ...dr, spec: { ...dr.spec, host: svcName(21) } })];
      },
      'local',
    ],
    [
      'that rule moved to a host no Service has',
      () => {
        const dr = obj('DestinationRule', NS0, 'plain') as KubeObject & { spec: object };
        return [upsert({ ...dr, spec: { ...dr.spec, host: 'nowhere' } })];
      },
      'local',
    ],
    [
      "a wildcard rule over the namespace's Services",
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'wide', namespace: NS0 },
          spec: { host: `*.${NS0}.svc.cluster.local`, trafficPolicy: { tls: { mode: 'DISABLE' } } },
        }),
      ],
      'local',
    ],
    [
      'that wildcard rule deleted',
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: NS0, name: 'wide' }],
      'local',
    ],
    [
      'a Service in the root namespace',
      () => [
        upsert({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'central', namespace: 'istio-system' },
          spec: { clusterIP: '10.99.0.9', ports: [{ name: 'grpc', port: 9090 }] },
        }),
      ],
      'any',
    ],
    [
      'a root-namespace rule for it by its short name',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'central', namespace: 'istio-system' },
          spec: { host: 'central', trafficPolicy: { tls: { mode: 'DISABLE' } } },
        }),
      ],
      'any',
    ],
    [
      'that root rule deleted',
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: 'istio-system', name: 'central' }],
      'any',
    ],
    [
      'the PeerAuthentication relaxed to PERMISSIVE',
      () => [
        upsert({
          ...obj('PeerAuthentication', NS0, 'default'),
          spec: { mtls: { mode: 'PERMISSIVE' } },
        }),
      ],
      'any',
    ],
    [
      'a DNS ServiceEntry bound to the namespace waypoint',
      () => [upsert(entry('egress', { hosts: ['api.example.com'], resolution: 'DNS' }, '240.240.0.1'))],
      'local',
    ],
    [
      'a STATIC ServiceEntry selecting a WorkloadEntry',
      () => [
        upsert(
          entry('vm', {
            hosts: ['vm.example.internal'],
            resolution: 'STATIC',
            workloadSelector: { labels: { app: 'vm' } },
          }),
        ),
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'WorkloadEntry',
          metadata: { name: 'vm-1', namespace: NS0 },
          spec: { address: '10.250.0.1', labels: { app: 'vm' } },
        }),
      ],
      'local',
    ],
    [
      "that WorkloadEntry relabelled out of the entry's selector",
      () => [
        upsert({ ...obj('WorkloadEntry', NS0, 'vm-1'), spec: { address: '10.250.0.1', labels: { app: 'other' } } }),
      ],
      'local',
    ],
    [
      'an HTTPRoute with the entry as parent and a Hostname backend, and a policy targeting the entry',
      () => [
        upsert({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'egress', namespace: NS0 },
          spec: {
            parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'egress' }],
            rules: [
              { backendRefs: [{ group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 80 }] },
            ],
          },
        }),
        upsert({
          apiVersion: 'security.istio.io/v1',
          kind: 'AuthorizationPolicy',
          metadata: { name: 'egress', namespace: NS0 },
          spec: { targetRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'egress' }], rules: [{}] },
        }),
      ],
      'local',
    ],
    [
      "a consistent-hash DestinationRule for the entry's host (hash policy on its route and cluster)",
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'egress', namespace: NS0 },
          spec: {
            host: 'api.example.com',
            trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: { name: 'session', ttl: '60s' } } } },
          },
        }),
      ],
      'local',
    ],
    [
      'a DNS entry another waypoint serves, with two ports and labelled endpoints, as a second Hostname backend',
      () => [
        upsert({
          ...entry('far', {
            hosts: ['far.example.com'],
            resolution: 'DNS',
            ports: [
              { number: 80, name: 'http', protocol: 'HTTP' },
              { number: 443, name: 'tls', protocol: 'TLS' },
            ],
            endpoints: [
              { address: 'a.far.example.net', locality: 'r1/z1', labels: { version: 'v1' } },
              { address: 'b.far.example.net', locality: 'r2/z1', labels: { version: 'v2' } },
            ],
          }),
          metadata: { name: 'far', namespace: NS1 },
        }),
        upsert({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'HTTPRoute',
          metadata: { name: 'egress', namespace: NS0 },
          spec: {
            parentRefs: [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'egress' }],
            rules: [
              {
                backendRefs: [
                  { group: 'networking.istio.io', kind: 'Hostname', name: 'api.example.com', port: 80 },
                  { group: 'networking.istio.io', kind: 'Hostname', name: 'far.example.com', port: 80 },
                ],
              },
            ],
          },
        }),
      ],
      'local',
    ],
    [
      "a DestinationRule with subsets and failoverPriority for that entry's host (outbound subset clusters)",
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'far', namespace: NS1 },
          spec: {
            host: 'far.example.com',
            trafficPolicy: {
              outlierDetection: { consecutive5xxErrors: 3 },
              loadBalancer: { localityLbSetting: { failoverPriority: ['version'] } },
            },
            subsets: [
              { name: 'v1', labels: { version: 'v1' } },
              { name: 'v2', labels: { version: 'v2' } },
            ],
          },
        }),
      ],
      'local',
    ],
    [
      "that entry's endpoint relabelled and a port dropped",
      () => [
        upsert({
          ...entry('far', {
            hosts: ['far.example.com'],
            resolution: 'DNS',
            endpoints: [
              { address: 'a.far.example.net', locality: 'r1/z1', labels: { version: 'v2' } },
              { address: 'b.far.example.net', locality: 'r2/z1', labels: { version: 'v2' } },
            ],
          }),
          metadata: { name: 'far', namespace: NS1 },
        }),
      ],
      'local',
    ],
    [
      "that entry's rule deleted",
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: NS1, name: 'far' }],
      'local',
    ],
    [
      "the CUSTOM provider moved to that entry's host",
      () => [
        upsert({
          ...obj('ConfigMap', 'istio-system', 'istio'),
          data: {
            mesh: 'extensionProviders:\n- name: ext-authz\n  envoyExtAuthzGrpc:\n    service: far.example.com\n    port: 80\n',
          },
        } as KubeObject),
      ],
      'any',
    ],
    [
      'the entry behind the CUSTOM provider given another endpoint',
      () => [
        upsert({
          ...entry('far', {
            hosts: ['far.example.com'],
            resolution: 'DNS',
            endpoints: [{ address: 'c.far.example.net', locality: 'r1/z1', labels: { version: 'v1' } }],
          }),
          metadata: { name: 'far', namespace: NS1 },
        }),
      ],
      'local',
    ],
    // Entries are looked up by host in every namespace: a second namespace
    // declaring the provider's host leaves the provider unresolved; one
    // declaring the Hostname backend's host is read but not chosen (the
    // route's own namespace's entry comes first).
    [
      "entries of another namespace declaring the provider's and the Hostname backend's hosts",
      () => [
        upsert({
          ...entry('far-copy', { hosts: ['far.example.com'], resolution: 'DNS' }),
          metadata: { name: 'far-copy', namespace: NS2 },
        }),
        upsert({
          ...entry('api-copy', { hosts: ['api.example.com'], resolution: 'DNS' }),
          metadata: { name: 'api-copy', namespace: NS2 },
        }),
      ],
      'local',
    ],
    [
      'the entry its route and policy name deleted',
      () => [{ op: 'delete', kind: 'ServiceEntry', namespace: NS0, name: 'egress' }],
      'local',
    ],
    [
      "the other namespace's entries deleted",
      () => [
        { op: 'delete', kind: 'ServiceEntry', namespace: NS2, name: 'far-copy' },
        { op: 'delete', kind: 'ServiceEntry', namespace: NS2, name: 'api-copy' },
      ],
      'local',
    ],
    [
      'the canary weight changed on its own',
      () => {
        const svc = obj('Service', NS0, svcName(9));
        return [
          upsert({
            ...svc,
            metadata: { ...svc.metadata, annotations: { 'istio.io/use-waypoint-canary-weight': '50' } },
          }),
        ];
      },
      'local',
    ],
    [
      'the canary dropped',
      () => {
        const svc = obj('Service', NS0, svcName(9));
        const { 'istio.io/use-waypoint-canary': _, ...labels } = svc.metadata.labels ?? {};
        return [upsert({ ...svc, metadata: { ...svc.metadata, labels } })];
      },
      'local',
    ],
    [
      'a waypoint edit',
      () => [
        upsert({
          ...obj('Gateway', NS0, 'waypoint'),
          metadata: { ...obj('Gateway', NS0, 'waypoint').metadata, generation: 2 },
        }),
      ],
      'any',
    ],
    [
      'a DestinationRule for the cross-namespace backend (its outbound cluster), with a credential',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'outbound', namespace: NS1 },
          spec: {
            host: `${svcName(100)}.${NS1}.svc.cluster.local`,
            trafficPolicy: {
              loadBalancer: { simple: 'ROUND_ROBIN' },
              tls: { mode: 'MUTUAL', credentialName: 'backend-client' },
            },
          },
        }),
      ],
      'any',
    ],
    [
      'the credential Secret created in the waypoint namespace',
      () => [
        upsert({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'backend-client', namespace: NS0 },
          data: { 'tls.crt': 'Y2hhaW4=', 'tls.key': 'a2V5', 'ca.crt': 'cm9vdHM=' },
        } as KubeObject),
      ],
      'local',
    ],
    [
      'the credential Secret rotated',
      () => [
        upsert(
          Object.assign({}, obj('Secret', NS0, 'backend-client'), {
            data: { 'tls.crt': 'Y2hhaW4y', 'tls.key': 'a2V5Mg==', 'ca.crt': 'cm9vdHM=' },
          }),
        ),
      ],
      'local',
    ],
    [
      "a selector rule for the outbound backend in the waypoint's namespace, selecting the waypoint",
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'for-waypoint', namespace: NS0 },
          spec: {
            host: `${svcName(100)}.${NS1}.svc.cluster.local`,
            workloadSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' } },
            trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
          },
        }),
      ],
      'local',
    ],
    [
      'the selector rule edited to ask for a label the waypoint lacks',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'for-waypoint', namespace: NS0 },
          spec: {
            host: `${svcName(100)}.${NS1}.svc.cluster.local`,
            workloadSelector: { matchLabels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', tier: 'edge' } },
            trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
          },
        }),
      ],
      'local',
    ],
    [
      'the selector rule deleted',
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: NS0, name: 'for-waypoint' }],
      'local',
    ],
    [
      'the outbound rule deleted',
      () => [{ op: 'delete', kind: 'DestinationRule', namespace: NS1, name: 'outbound' }],
      'any',
    ],
    [
      'a waypoint pod on a zoned node, and a rule with outlier detection and failoverPriority',
      () => [
        // The rule's service has a pod on `solo` (same region as the waypoint) and others with no locality.
        upsert(node({ 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' })),
        upsert({
          ...node({ 'topology.kubernetes.io/region': 'r1' }),
          metadata: { name: 'wp-node', labels: { 'topology.kubernetes.io/region': 'r1' } },
        }),
        upsert({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'waypoint-5d8f-abcde',
            namespace: NS0,
            labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' },
          },
          spec: { nodeName: 'wp-node' },
          status: { phase: 'Running', podIP: '10.250.9.9' },
        } as KubeObject),
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'locality', namespace: NS0 },
          spec: {
            host: svcName(3),
            trafficPolicy: {
              outlierDetection: { consecutive5xxErrors: 3 },
              loadBalancer: { localityLbSetting: { failoverPriority: ['topology.kubernetes.io/region'] } },
            },
          },
        }),
      ],
      'local',
    ],
    [
      "the waypoint's node relabelled into another region",
      () => [upsert({ ...node({}), metadata: { name: 'wp-node', labels: { 'topology.kubernetes.io/region': 'r2' } } })],
      'local',
    ],
    [
      "a selector rule for the outbound backend asking for a label the waypoint's pod lacks",
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'for-edge', namespace: NS0 },
          spec: {
            host: `${svcName(100)}.${NS1}.svc.cluster.local`,
            workloadSelector: { matchLabels: { tier: 'edge' } },
            trafficPolicy: { loadBalancer: { simple: 'RANDOM' } },
          },
        }),
      ],
      'local',
    ],
    [
      "the waypoint's pod labelled so the selector rule matches it",
      () => [
        upsert({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'waypoint-5d8f-abcde',
            namespace: NS0,
            labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', tier: 'edge' },
          },
          spec: { nodeName: 'wp-node' },
          status: { phase: 'Running', podIP: '10.250.9.9' },
        } as KubeObject),
      ],
      'local',
    ],
    [
      'that selector rule given a consistent hash and subsets',
      () => [
        upsert({
          ...obj('DestinationRule', NS0, 'for-edge'),
          spec: {
            host: `${svcName(100)}.${NS1}.svc.cluster.local`,
            workloadSelector: { matchLabels: { tier: 'edge' } },
            trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } },
            subsets: [
              { name: 'v1', labels: { version: 'v1' } },
              { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } },
            ],
          },
        }),
      ],
      'local',
    ],
    [
      'a pod of that backend relabelled from one subset into the other',
      () => {
        const p = obj('Pod', NS1, `${svcName(100)}-0`);
        return [upsert({ ...p, metadata: { ...p.metadata, labels: { app: svcName(100), version: 'v2' } } })];
      },
      'any',
    ],
    [
      'a STATIC entry over WorkloadEntries in two localities, and a rule ranking them by tier',
      () => [
        upsert(
          entry('ranked', {
            hosts: ['ranked.example.internal'],
            resolution: 'STATIC',
            workloadSelector: { labels: { app: 'ranked' } },
          }),
        ),
        ...(
          [
            ['r-1', '10.250.1.1', 'edge', 'r1/z1'],
            ['r-2', '10.250.1.2', 'core', 'r2/z1'],
          ] as const
        ).map(([name, address, tier, locality]) =>
          upsert({
            apiVersion: 'networking.istio.io/v1',
            kind: 'WorkloadEntry',
            metadata: { name, namespace: NS0 },
            spec: { address, labels: { app: 'ranked', tier }, locality },
          }),
        ),
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'ranked', namespace: NS0 },
          spec: {
            host: 'ranked.example.internal',
            trafficPolicy: {
              outlierDetection: { consecutive5xxErrors: 3 },
              loadBalancer: { localityLbSetting: { failoverPriority: ['tier'] } },
            },
            subsets: [{ name: 'core', labels: { tier: 'core' } }],
          },
        }),
      ],
      'local',
    ],
    [
      'one of those WorkloadEntries moved to the other tier and locality',
      () => [
        upsert({
          ...obj('WorkloadEntry', NS0, 'r-1'),
          spec: { address: '10.250.1.1', labels: { app: 'ranked', tier: 'core' }, locality: 'r3/z1' },
        }),
      ],
      'local',
    ],
    [
      'a DNS entry with endpoints in two localities, and a rule with outlier detection and a subset',
      () => [
        upsert(
          entry('dns-ranked', {
            hosts: ['dns-ranked.example.com'],
            resolution: 'DNS',
            endpoints: [
              { address: 'a.example.net', locality: 'r1/z1', labels: { v: '1' } },
              { address: 'b.example.net', locality: 'r2/z1', labels: { v: '2' } },
            ],
          }),
        ),
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'dns-ranked', namespace: NS0 },
          spec: {
            host: 'dns-ranked.example.com',
            trafficPolicy: { outlierDetection: { consecutive5xxErrors: 3 } },
            subsets: [{ name: 'one', labels: { v: '1' } }],
          },
        }),
      ],
      'local',
    ],
    [
      'a second waypoint pod in another region, with a proxy of each region connected (a place key each)',
      () => {
        serve.demand(placeKey(`${NS0}/waypoint`, 'r2//'));
        serve.demand(placeKey(`${NS0}/waypoint`, 'r1/z1/'));
        return [
          upsert({
            ...node({}),
            metadata: {
              name: 'wp-node-2',
              labels: { 'topology.kubernetes.io/region': 'r1', 'topology.kubernetes.io/zone': 'z1' },
            },
          }),
          upsert({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: 'waypoint-5d8f-fghij',
              namespace: NS0,
              labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint' },
            },
            spec: { nodeName: 'wp-node-2' },
            status: { phase: 'Running', podIP: '10.250.9.10' },
          } as KubeObject),
        ];
      },
      'local',
    ],
    [
      "the second waypoint pod's node relabelled into the first pod's region",
      () => [
        upsert({ ...node({}), metadata: { name: 'wp-node-2', labels: { 'topology.kubernetes.io/region': 'r2' } } }),
      ],
      'local',
    ],
    [
      "a third waypoint pod differing only by a tier a rule's failoverPriority names, with a proxy of each tier connected",
      () => {
        serve.demand(placeKey(`${NS0}/waypoint`, placeOf('r2//', { tier: 'edge' })));
        serve.demand(placeKey(`${NS0}/waypoint`, placeOf('r2//', { tier: 'core' })));
        return [
          upsert({
            apiVersion: 'v1',
            kind: 'Pod',
            metadata: {
              name: 'waypoint-5d8f-klmno',
              namespace: NS0,
              labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', tier: 'core' },
            },
            spec: { nodeName: 'wp-node-2' },
            status: { phase: 'Running', podIP: '10.250.9.11' },
          } as KubeObject),
          upsert({
            apiVersion: 'networking.istio.io/v1',
            kind: 'DestinationRule',
            metadata: { name: 'tiered', namespace: NS0 },
            spec: {
              host: svcName(5),
              trafficPolicy: {
                outlierDetection: { consecutive5xxErrors: 3 },
                loadBalancer: { localityLbSetting: { failoverPriority: ['tier'] } },
              },
            },
          }),
        ];
      },
      'local',
    ],
    [
      'that pod relabelled to the other tier',
      () => [
        upsert({
          ...obj('Pod', NS0, 'waypoint-5d8f-klmno'),
          metadata: {
            name: 'waypoint-5d8f-klmno',
            namespace: NS0,
            labels: { 'gateway.networking.k8s.io/gateway-name': 'waypoint', tier: 'edge' },
          },
        }),
      ],
      'local',
    ],
    [
      'the waypoint pod deleted',
      () => [{ op: 'delete', kind: 'Pod', namespace: NS0, name: 'waypoint-5d8f-abcde' }],
      'local',
    ],
    // A waypoint keeps each served Service's part of its IR that read nothing
    // a change touched: these reach every part through what the waypoint
    // reads as a whole, or through memos several parts share. (Scope 'any':
    // the first waypoint's place keys are translated with it.)
    [
      'a waypoint-wide policy edit (every part takes the new shared policy)',
      () => {
        const wide = obj('AuthorizationPolicy', NS0, 'waypoint-wide') as KubeObject & { spec: object };
        return [
          upsert({ ...wide, spec: { ...wide.spec, rules: [{ to: [{ operation: { paths: ['/internal/*'] } }] }] } }),
        ];
      },
      'any',
    ],
    [
      'two Services of another namespace onto the first waypoint, traced by a namespace-wide Telemetry there',
      () => {
        const moved = [110, 111].map((i) => {
          const svc = obj('Service', NS1, svcName(i));
          const labels = { ...svc.metadata.labels, 'istio.io/use-waypoint': 'waypoint' };
          return upsert({
            ...svc,
            metadata: { ...svc.metadata, labels: { ...labels, 'istio.io/use-waypoint-namespace': NS0 } },
          });
        });
        const gw = obj('Gateway', NS0, 'waypoint') as KubeObject & { spec: { listeners: object[] } };
        const admitAll = { namespaces: { from: 'All' } };
        return [
          ...moved,
          upsert({
            ...gw,
            spec: { ...gw.spec, listeners: gw.spec.listeners.map((l) => ({ ...l, allowedRoutes: admitAll })) },
          }),
          upsert(collector('zipkin')),
          upsert(collectorSlice('10.250.2.1')),
          upsert(collector('zipkin2')),
          upsert({
            ...obj('ConfigMap', 'istio-system', 'istio'),
            data: {
              mesh:
                'extensionProviders:\n' +
                '- name: zipkin\n  zipkin:\n    service: zipkin.istio-system.svc.cluster.local\n    port: 9411\n' +
                '- name: zipkin2\n  zipkin:\n    service: zipkin2.istio-system.svc.cluster.local\n    port: 9411\n',
            },
          } as KubeObject),
          upsert(telemetry(NS1, 'traced', { tracing: [{ providers: [{ name: 'zipkin' }] }] })),
        ];
      },
      'any',
    ],
    // The two parts share one Telemetry merge: the second to use it must
    // record what the first read computing it, and the cluster it added.
    [
      'the first of them traced by the other collector (the second still needs the first cluster)',
      () => [
        upsert(
          telemetry(NS1, 'other', {
            targetRefs: [{ kind: 'Service', group: '', name: svcName(110) }],
            tracing: [{ providers: [{ name: 'zipkin2' }] }],
          }),
        ),
      ],
      'any',
    ],
    ['that Telemetry deleted', () => [{ op: 'delete', kind: 'Telemetry', namespace: NS1, name: 'other' }], 'any'],
    // Read only by the Telemetry merge the two parts share: the second part
    // must have recorded it too, or it keeps (and puts back) the old cluster.
    ['the collector moved', () => [upsert(collectorSlice('10.250.2.2'))], 'any'],
    [
      'the collector Service deleted (both parts lose their tracer)',
      () => [{ op: 'delete', kind: 'Service', namespace: 'istio-system', name: 'zipkin' }],
      'any',
    ],
    [
      'a DestinationRule for one of them, from its own namespace',
      () => [
        upsert({
          apiVersion: 'networking.istio.io/v1',
          kind: 'DestinationRule',
          metadata: { name: 'moved', namespace: NS1 },
          spec: { host: svcName(111), trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } },
        }),
      ],
      'any',
    ],
    [
      'an endpoint of the other moved',
      () => {
        const p = obj('Pod', NS1, `${svcName(110)}-0`) as KubeObject & { status: object };
        return [upsert({ ...p, status: { ...p.status, podIP: '10.250.0.110', podIPs: [{ ip: '10.250.0.110' }] } })];
      },
      'any',
    ],
  ];

  for (const [what, changes, scope] of steps) {
    it(`after ${what}`, () => {
      const r = applyChanges(world, changes());
      assert.ok(r.changed.size > 0, 'the step changes the World');
      world = r.world;
      const { step } = serve.run(world, r.changed);
      const reference = freshCopy(world);
      const full = translateAll(reference, OPTS);
      // Place keys are extra translations of one waypoint: count the waypoints they belong to.
      const reached = new Set(step.translated.map(waypointKeyOf));
      if (scope === 'local') assert.ok(reached.size < full.waypoints.size, 'translated only some waypoints');
      assert.deepEqual(indexSummary(step.index), indexSummary(full.index));
      const keys = [...t.outputs.keys()];
      assert.deepEqual(keys.filter((k) => !parsePlaceKey(k)).sort(), [...full.waypoints.keys()].sort());
      for (const [key, out] of full.waypoints)
        assert.deepEqual(versions(t.outputs.get(key)!.resources), versions(out.resources), key);
      // A place key's translation is the waypoint's, made for that locality.
      for (const key of keys) {
        const place = parsePlaceKey(key);
        if (!place) continue;
        const wp = full.index.waypoints.get(place.waypoint)!;
        const fresh = translateWaypoint(reference, full.index, wp, OPTS, undefined, place.locality);
        assert.deepEqual(versions(t.outputs.get(key)!.resources), versions(fresh.resources), key);
        assert.deepEqual(
          held(cache, key, [TypeUrl.Endpoint]),
          sorted(new Map([[TypeUrl.Endpoint, fresh.resources.get(TypeUrl.Endpoint) ?? []]])),
          key,
        );
      }
      assert.deepEqual(step.statuses, full.statuses);
      const api = buildWorkloadApi(reference, full.index, OPTS);
      const ztunnel = new Map([...api].filter(([type]) => type !== TypeUrl.Workload));
      assert.deepEqual(held(cache, ZTUNNEL_KEY, ztunnel.keys()), sorted(ztunnel), 'workload API');
      const peers = new Map([[TypeUrl.Workload, api.get(TypeUrl.Workload) ?? []]]);
      for (const key of full.waypoints.keys())
        assert.deepEqual(held(cache, key, peers.keys()), sorted(peers), `Workload entries of ${key}`);
      const proxyless = buildProxyless(reference, full.index, OPTS);
      assert.deepEqual(held(cache, PROXYLESS_KEY, proxyless.keys()), sorted(proxyless), 'proxyless');
      for (const [key, out] of full.waypoints) {
        const secrets = buildSecrets(reference, out.namespace, referencedCredentials(out.ir)).resources;
        assert.deepEqual(
          held(cache, key, [TypeUrl.Secret]),
          sorted(new Map([[TypeUrl.Secret, secrets]])),
          `SDS secrets of ${key}`,
        );
      }
    });
  }
});

describe('the serve step keeps no stale pieces', () => {
  const small = () => worldOf(generateMesh({ services: 200 }) as unknown as KubeObject[]);
  const addresses = (cache: SnapshotCache) =>
    [...cache.get(ZTUNNEL_KEY, TypeUrl.Address)].map(([name, r]) => `${name}@${r.version}`).sort();
  const full = (world: World, opts = OPTS) =>
    (buildWorkloadApi(world, translateAll(world, opts).index, opts).get(TypeUrl.Address) ?? [])
      .map((r) => `${r.name}@${r.version}`)
      .sort();

  it('does not reuse workload messages another build (other options) left behind', () => {
    let world = small();
    const cache = new SnapshotCache();
    const step = new ServeStep(new IncrementalTranslator(OPTS), cache, OPTS);
    const first = step.run(world, 'all');
    // Someone else builds the same World with other options in between.
    buildWorkloadApi(world, first.step.index, { ...OPTS, clusterId: 'OTHER' });
    const pod = get(world, 'Pod', NS0, `${svcName(3)}-0`)!;
    const r = applyChanges(world, [
      { op: 'upsert', object: { ...pod, metadata: { ...pod.metadata, labels: { ...pod.metadata.labels, x: 'y' } } } },
    ]);
    world = r.world;
    step.run(world, r.changed);
    assert.deepEqual(addresses(cache), full(world));
  });

  it('forgets the proxyless piece of a deleted Service', () => {
    let world = small();
    const builder = new ProxylessBuilder(OPTS);
    const t = new IncrementalTranslator(OPTS);
    builder.build(world, t.update(world, 'all').index, 'all');
    const size = () => (builder as unknown as { pieces: Map<string, unknown> }).pieces.size;
    const before = size();
    // A Service alone in its namespace: nothing else it reads changes when it goes.
    const lone: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'lone', namespace: 'elsewhere' },
      spec: { clusterIP: '10.99.0.1', ports: [{ port: 80 }] },
    };
    for (const c of [
      { op: 'upsert', object: lone },
      { op: 'delete', kind: 'Service', namespace: 'elsewhere', name: 'lone' },
    ] as Change[]) {
      const r = applyChanges(world, [c]);
      world = r.world;
      builder.build(world, t.update(world, r.changed).index, r.changed);
      assert.deepEqual(
        sorted(builder.resources()),
        sorted(buildProxyless(world, translateAll(world, OPTS).index, OPTS)),
      );
    }
    assert.equal(size(), before);
  });
});
