import type { AuthzPolicyIR, ChainPolicyIR, EndpointIR, WaypointIR } from '../../src/translate/ir';

export const noPolicy = (): ChainPolicyIR => ({ authz: [], jwt: [], accessLogs: [] });

export function endpoint(ip: string, port = 9080, inMesh = true): EndpointIR {
  return {
    ip,
    port,
    inMesh,
    ready: true,
    workload: {
      name: `pod-${ip}`,
      namespace: 'default',
      canonicalName: 'reviews',
      canonicalRevision: 'v1',
      cluster: 'Kubernetes',
    },
  };
}

export function policy(p: Partial<AuthzPolicyIR> & Pick<AuthzPolicyIR, 'name' | 'action'>): AuthzPolicyIR {
  return { namespace: 'default', dryRun: false, rules: [], ...p };
}

export const source = (s: Partial<AuthzPolicyIR['rules'][number]['from'][number]>) => ({
  principals: [],
  notPrincipals: [],
  serviceAccounts: [],
  notServiceAccounts: [],
  trustDomains: [],
  notTrustDomains: [],
  requestPrincipals: [],
  notRequestPrincipals: [],
  namespaces: [],
  notNamespaces: [],
  ipBlocks: [],
  notIpBlocks: [],
  remoteIpBlocks: [],
  notRemoteIpBlocks: [],
  ...s,
});

export const operation = (o: Partial<AuthzPolicyIR['rules'][number]['to'][number]>) => ({
  hosts: [],
  notHosts: [],
  ports: [],
  notPorts: [],
  methods: [],
  notMethods: [],
  paths: [],
  notPaths: [],
  ...o,
});

/** One waypoint owning `reviews` (sniffed 9080) and `db` (TCP 5432). */
export function waypoint(over: { reviewsPolicy?: ChainPolicyIR; dbPolicy?: ChainPolicyIR } = {}): WaypointIR {
  return {
    namespace: 'default',
    name: 'waypoint',
    trustDomain: 'cluster.local',
    clusterId: 'Kubernetes',
    services: [
      {
        hostname: 'reviews.default.svc.cluster.local',
        namespace: 'default',
        name: 'reviews',
        vips: ['10.96.0.10'],
        ports: [
          {
            port: 9080,
            name: 'http',
            protocol: 'sniff',
            istioProtocol: 'unsupported',
            endpoints: [endpoint('10.244.0.5'), endpoint('10.244.0.6', 9080, false)],
            httpRoutes: [],
            tcpRoutes: [],
            policy: over.reviewsPolicy ?? noPolicy(),
          },
        ],
      },
      {
        hostname: 'db.default.svc.cluster.local',
        namespace: 'default',
        name: 'db',
        vips: ['10.96.0.20'],
        ports: [
          {
            port: 5432,
            name: 'tcp',
            protocol: 'tcp',
            istioProtocol: 'tcp',
            endpoints: [endpoint('10.244.0.9', 5432)],
            httpRoutes: [],
            tcpRoutes: [],
            policy: over.dbPolicy ?? noPolicy(),
          },
        ],
      },
    ],
    outbound: [],
    direct: noPolicy(),
    workloadIps: [],
  };
}
