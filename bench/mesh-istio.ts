import type { Manifest } from './mesh';

// Istio's traffic and telemetry kinds on top of the generated mesh
// (`--istio-kinds`), so W2 can be compared with and without them: a
// DestinationRule per service (pool, hash or simple balancing, locality
// failover, subsets by the pods' version label), a VirtualService splitting
// every tenth service over its subsets, and per namespace a ServiceEntry
// bound to the waypoint (two localities) and a namespace-wide Telemetry.

export interface IstioService {
  namespace: string;
  name: string;
  index: number;
}

const IP = (n: number) => `240.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

export function istioKinds(services: readonly IstioService[], namespaces: readonly string[]): Manifest[] {
  const out: Manifest[] = [];
  for (const s of services) {
    out.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'DestinationRule',
      metadata: { name: s.name, namespace: s.namespace },
      spec: {
        host: s.name,
        trafficPolicy: {
          connectionPool: { tcp: { maxConnections: 100 }, http: { http2MaxRequests: 1000 } },
          loadBalancer:
            s.index % 4 === 0
              ? { consistentHash: { httpHeaderName: 'x-user' } }
              : { simple: 'ROUND_ROBIN', localityLbSetting: { enabled: true } },
          outlierDetection: { consecutive5xxErrors: 5, interval: '10s', baseEjectionTime: '30s' },
        },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' } },
        ],
      },
    });
    if (s.index % 10 === 1) {
      out.push({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: `split-${s.name}`, namespace: s.namespace },
        spec: {
          hosts: [s.name],
          http: [
            {
              route: [
                { destination: { host: s.name, subset: 'v1' }, weight: 90 },
                { destination: { host: s.name, subset: 'v2' }, weight: 10 },
              ],
            },
          ],
        },
      });
    }
  }
  namespaces.forEach((ns, i) => {
    out.push({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { name: 'egress', namespace: ns, labels: { 'istio.io/use-waypoint': 'waypoint' } },
      spec: {
        hosts: [`api.${ns}.example.com`],
        addresses: [IP(i * 4)],
        ports: [{ number: 80, name: 'http', protocol: 'HTTP' }],
        location: 'MESH_EXTERNAL',
        resolution: 'STATIC',
        endpoints: [
          { address: IP(i * 4 + 1), locality: 'region-a/zone-1' },
          { address: IP(i * 4 + 2), locality: 'region-b/zone-1' },
        ],
      },
    });
    out.push({
      apiVersion: 'telemetry.istio.io/v1',
      kind: 'Telemetry',
      metadata: { name: 'default', namespace: ns },
      spec: { accessLogging: [{ providers: [{ name: 'envoy' }] }] },
    });
  });
  return out;
}
