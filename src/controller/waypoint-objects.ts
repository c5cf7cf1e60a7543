import {
  DEFAULT_SCOPE,
  fieldManagerOf,
  LABEL,
  TOKEN_AUDIENCE,
  type ControlPlaneScope,
  type Gateway,
  type KubeObject,
} from '../model';

export interface WaypointDeployOptions {
  /** The proxy image waypoints run. */
  image: string;
  /** Where waypoint proxies reach the control plane (host:port). */
  discoveryAddress: string;
  /** Where they get workload certificates (CA_ADDR); default: the discovery address. */
  caAddress?: string;
  /** The class, controller and revision the objects are labelled with (default: istiod's). */
  scope?: ControlPlaneScope;
}

/**
 * Requests and limits of the proxy container: istiod's waypoint template's
 * defaults, so a waypoint is scheduled with room to run.
 */
export const WAYPOINT_RESOURCES = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '2', memory: '1Gi' },
} as const;

/** Labels and annotations a Gateway's `spec.infrastructure` asks for on everything made for it. */
function infrastructure(gw: Gateway): { labels: Record<string, string>; annotations: Record<string, string> } {
  const infra = (
    gw.spec as { infrastructure?: { labels?: Record<string, string>; annotations?: Record<string, string> } }
  )?.infrastructure;
  return { labels: { ...(infra?.labels ?? {}) }, annotations: { ...(infra?.annotations ?? {}) } };
}

export const DEFAULT_DEPLOY: WaypointDeployOptions = {
  image: 'docker.io/istio/proxyv2:1.30.3',
  discoveryAddress: 'istiod-lite.istio-system.svc:15012',
};

/**
 * The ServiceAccount, Deployment and Service that implement a waypoint
 * Gateway, named like it and owned by it (deleting the Gateway deletes them).
 */
export function waypointObjects(gw: Gateway, opts: WaypointDeployOptions = DEFAULT_DEPLOY): KubeObject[] {
  const name = gw.metadata.name;
  const namespace = gw.metadata.namespace ?? 'default';
  const scope = opts.scope ?? DEFAULT_SCOPE;
  const infra = infrastructure(gw);
  // Ours win over the Gateway's infrastructure labels: they select and own the objects.
  const labels = {
    ...infra.labels,
    [LABEL.gatewayName]: name,
    [LABEL.gatewayClassName]: gw.spec?.gatewayClassName ?? scope.gatewayClass,
    [LABEL.managed]: fieldManagerOf(scope.controllerName),
    ...(scope.revision ? { [LABEL.rev]: scope.revision } : {}),
  };
  const owner = [{ apiVersion: gw.apiVersion, kind: 'Gateway', name, uid: gw.metadata.uid ?? '', controller: true }];
  const annotations = Object.keys(infra.annotations).length > 0 ? { annotations: infra.annotations } : {};
  const meta = { name, namespace, labels, ...annotations, ownerReferences: owner };
  const podLabels = { ...labels, [LABEL.dataplaneMode]: 'none', [LABEL.sidecarInject]: 'false' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: meta },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta,
      spec: {
        selector: { matchLabels: { [LABEL.gatewayName]: name } },
        template: {
          metadata: { labels: podLabels, ...annotations },
          spec: {
            serviceAccountName: name,
            terminationGracePeriodSeconds: 2,
            volumes: [
              {
                name: 'istio-token',
                projected: {
                  sources: [
                    {
                      serviceAccountToken: { audience: TOKEN_AUDIENCE, expirationSeconds: 43200, path: 'istio-token' },
                    },
                  ],
                },
              },
              // Published by whoever runs the mesh CA; optional so a waypoint still starts without it.
              { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert', optional: true } },
            ],
            containers: [
              {
                name: 'istio-proxy',
                image: opts.image,
                args: [
                  'proxy',
                  'waypoint',
                  '--domain',
                  `$(POD_NAMESPACE).svc.cluster.local`,
                  '--serviceCluster',
                  `${name}.$(POD_NAMESPACE)`,
                  '--proxyLogLevel',
                  'warning',
                ],
                env: [
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'INSTANCE_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
                  { name: 'SERVICE_ACCOUNT', valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } } },
                  {
                    name: 'ISTIO_META_SERVICE_ACCOUNT',
                    valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } },
                  },
                  { name: 'ISTIO_META_NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
                  { name: 'PILOT_ADDRESS', value: opts.discoveryAddress },
                  { name: 'CA_ADDR', value: opts.caAddress ?? opts.discoveryAddress },
                  { name: 'ISTIO_META_WORKLOAD_NAME', value: name },
                  { name: 'ISTIO_META_CLUSTER_ID', value: 'Kubernetes' },
                ],
                ports: [
                  { name: 'metrics', containerPort: 15020, protocol: 'TCP' },
                  { name: 'status-port', containerPort: 15021, protocol: 'TCP' },
                  { name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' },
                ],
                // The proxy proves who it is to the control plane's TLS port with
                // this token (audience istio-ca) and checks the port's
                // certificate against the mesh root.
                volumeMounts: [
                  { name: 'istio-token', mountPath: '/var/run/secrets/tokens' },
                  { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
                ],
                resources: WAYPOINT_RESOURCES,
                readinessProbe: {
                  httpGet: { path: '/healthz/ready', port: 15021 },
                  periodSeconds: 15,
                  failureThreshold: 4,
                },
                securityContext: {
                  runAsUser: 1337,
                  runAsGroup: 1337,
                  runAsNonRoot: true,
                  allowPrivilegeEscalation: false,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: meta,
      spec: {
        type: 'ClusterIP',
        selector: { [LABEL.gatewayName]: name },
        ports: [
          { name: 'status-port', port: 15021, protocol: 'TCP', targetPort: 15021 },
          { name: 'mesh', port: 15008, protocol: 'TCP', targetPort: 15008, appProtocol: 'hbone' },
        ],
      },
    },
  ];
}
