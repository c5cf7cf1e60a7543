// The synthetic mesh of the benchmarks: seeded and deterministic, one size
// knob S (services). S services in S/100 ambient namespaces, 5 pods each,
// one namespace waypoint per namespace, one HTTPRoute per service, one
// AuthorizationPolicy per 5 services, one waypoint-wide policy and one
// RequestAuthentication per namespace. Output is plain manifests that the
// directory source and the Kubernetes test server both accept.

import { istioKinds } from './mesh-istio';

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; uid?: string };
};

/** mulberry32: small, fast, good enough for reproducible test data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface MeshOptions {
  services: number;
  seed?: number;
  podsPerService?: number;
  servicesPerNamespace?: number;
  /** Add DestinationRules, VirtualServices, ServiceEntries and Telemetry (bench/mesh-istio.ts). */
  istioKinds?: boolean;
}

export const nsName = (i: number) => `bench-${String(i).padStart(3, '0')}`;
export const svcName = (i: number) => `svc-${String(i).padStart(5, '0')}`;

function ip(prefix: number, n: number): string {
  return `${prefix}.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

export function generateMesh(opts: MeshOptions): Manifest[] {
  const random = rng(opts.seed ?? 42);
  const perNs = opts.servicesPerNamespace ?? 100;
  const pods = opts.podsPerService ?? 5;
  const namespaces = Math.max(1, Math.ceil(opts.services / perNs));
  const out: Manifest[] = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } },
    {
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'mesh-wide', namespace: 'istio-system' },
      spec: {
        targetRefs: [{ kind: 'GatewayClass', group: 'gateway.networking.k8s.io', name: 'istio-waypoint' }],
        action: 'DENY',
        rules: [{ to: [{ operation: { paths: ['/debug/*'] } }] }],
      },
    },
  ];
  for (let n = 0; n < namespaces; n++) {
    const ns = nsName(n);
    out.push({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: ns, labels: { 'istio.io/dataplane-mode': 'ambient', 'istio.io/use-waypoint': 'waypoint' } },
    });
    out.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'waypoint', namespace: ns, labels: { 'istio.io/waypoint-for': 'service' } },
      spec: { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] },
      status: { addresses: [{ type: 'IPAddress', value: ip(10, 0x100000 + n) }] },
    });
    out.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: { name: 'waypoint-wide', namespace: ns },
      spec: {
        targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
        action: 'DENY',
        rules: [{ to: [{ operation: { paths: ['/admin/*'] } }] }],
      },
    });
    out.push({
      apiVersion: 'security.istio.io/v1',
      kind: 'RequestAuthentication',
      metadata: { name: 'jwt', namespace: ns },
      spec: {
        targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
        jwtRules: [{ issuer: `https://issuer.${ns}.example`, jwksUri: `https://issuer.${ns}.example/jwks.json` }],
      },
    });
  }
  for (let s = 0; s < opts.services; s++) {
    const n = Math.floor(s / perNs);
    const ns = nsName(n);
    const name = svcName(s);
    const port = 8000 + Math.floor(random() * 1000);
    out.push({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: {
        clusterIP: ip(10, 0x200000 + s),
        selector: { app: name },
        ports: [{ name: 'http', port: 80, targetPort: port, protocol: 'TCP' }],
      },
    });
    const endpoints = [];
    for (let p = 0; p < pods; p++) {
      const podName = `${name}-${p}`;
      const podIp = ip(10, 0x400000 + s * pods + p);
      out.push({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name: podName,
          namespace: ns,
          uid: `uid-${ns}-${podName}`,
          labels: { app: name, version: p < pods - 1 ? 'v1' : 'v2' },
        },
        spec: {
          nodeName: `node-${p % 10}`,
          serviceAccountName: name,
          containers: [{ name: 'app', image: 'bench', ports: [{ containerPort: port }] }],
        },
        status: {
          phase: 'Running',
          podIP: podIp,
          podIPs: [{ ip: podIp }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
      endpoints.push({
        addresses: [podIp],
        conditions: { ready: true },
        targetRef: { kind: 'Pod', name: podName, namespace: ns },
      });
    }
    out.push({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-abc12`, namespace: ns, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints,
      ports: [{ name: 'http', port, protocol: 'TCP' }],
    });
    const other = svcName(n * perNs + ((s + 1) % Math.min(perNs, opts.services - n * perNs)));
    out.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: ns },
      spec: {
        parentRefs: [{ group: '', kind: 'Service', name, port: 80 }],
        rules: [
          { matches: [{ path: { type: 'PathPrefix', value: '/api' } }], backendRefs: [{ name, port: 80 }] },
          {
            matches: [{ headers: [{ name: 'x-canary', value: 'true' }] }],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { add: [{ name: 'x-routed', value: 'canary' }] },
              },
            ],
            backendRefs: [{ name: other, port: 80 }],
          },
          {
            timeouts: { request: '5s' },
            backendRefs: [
              { name, port: 80, weight: 90 },
              { name: other, port: 80, weight: 10 },
            ],
          },
        ],
      },
    });
    if (s % 5 === 0) {
      out.push({
        apiVersion: 'security.istio.io/v1',
        kind: 'AuthorizationPolicy',
        metadata: { name: `allow-${name}`, namespace: ns },
        spec: {
          targetRefs: [{ kind: 'Service', group: '', name }],
          action: 'ALLOW',
          rules: [
            {
              from: [{ source: { principals: [`cluster.local/ns/${ns}/sa/${svcName(s + 1)}`] } }],
              to: [{ operation: { methods: ['GET', 'POST'], paths: ['/api/*'] } }],
            },
          ],
        },
      });
    }
  }
  if (opts.istioKinds) {
    const svcs = Array.from({ length: opts.services }, (_, s) => ({
      namespace: nsName(Math.floor(s / perNs)),
      name: svcName(s),
      index: s,
    }));
    out.push(
      ...istioKinds(
        svcs,
        Array.from({ length: namespaces }, (_, n) => nsName(n)),
      ),
    );
  }
  return out;
}
