// Labels, annotations, class names and condition reasons that users and
// other Istio components depend on. Spelled once, here.

export const WAYPOINT_CLASS = 'istio-waypoint';
export const MESH_CONTROLLER = 'istio.io/mesh-controller';
export const WAYPOINT_LISTENER = { name: 'mesh', port: 15008, protocol: 'HBONE' } as const;

export const LABEL = {
  waypointFor: 'istio.io/waypoint-for',
  useWaypoint: 'istio.io/use-waypoint',
  useWaypointNamespace: 'istio.io/use-waypoint-namespace',
  dataplaneMode: 'istio.io/dataplane-mode',
  rev: 'istio.io/rev',
  gatewayName: 'gateway.networking.k8s.io/gateway-name',
  gatewayClassName: 'gateway.networking.k8s.io/gateway-class-name',
  managed: 'gateway.istio.io/managed',
  serviceName: 'kubernetes.io/service-name',
  canonicalName: 'service.istio.io/canonical-name',
  canonicalRevision: 'service.istio.io/canonical-revision',
  appName: 'app.kubernetes.io/name',
  app: 'app',
  appVersion: 'app.kubernetes.io/version',
  version: 'version',
  sidecarInject: 'sidecar.istio.io/inject',
  /** `istio` on a workload that speaks Istio mTLS (set by injection). */
  tlsMode: 'security.istio.io/tlsMode',
} as const;

export const ANNOTATION = {
  redirection: 'ambient.istio.io/redirection',
  dryRun: 'istio.io/dry-run',
} as const;

export const AMBIENT = 'ambient';
export const NONE = 'none';

export type TrafficType = 'service' | 'workload' | 'all' | 'none';
export const TRAFFIC_TYPES: readonly TrafficType[] = ['service', 'workload', 'all', 'none'];

/** Reasons of the istio.io/WaypointBound condition. */
export const BIND_REASON = {
  accepted: 'WaypointAccepted',
  notReady: 'WaypointIsNotReady',
  attachmentDenied: 'AttachmentDenied',
  unsupportedTrafficType: 'UnsupportedTrafficType',
} as const;

export const CONDITION = {
  waypointBound: 'istio.io/WaypointBound',
  waypointAccepted: 'WaypointAccepted',
} as const;

/** The root namespace: policies here with a GatewayClass target apply to every waypoint. */
export const ROOT_NAMESPACE = 'istio-system';
export const DEFAULT_TRUST_DOMAIN = 'cluster.local';
/** The audience of the service-account tokens proxies present to the control plane. */
export const TOKEN_AUDIENCE = 'istio-ca';
export const DEFAULT_CLUSTER_ID = 'Kubernetes';
export const DEFAULT_DOMAIN = 'cluster.local';

/** The ConfigMap (in the root namespace) whose `mesh` key holds the mesh config. */
export const MESH_CONFIGMAP = 'istio';

/**
 * Which waypoints this control plane answers for. Beside istiod, a separate
 * GatewayClass (and its controller name) or a revision keeps the two apart.
 */
export interface ControlPlaneScope {
  /** The waypoint GatewayClass whose Gateways are waypoints here. */
  gatewayClass: string;
  /** The controller name on that class and in the route and policy statuses we write. */
  controllerName: string;
  /** The `istio.io/rev` this control plane serves; '' is the default revision. */
  revision: string;
}

export const DEFAULT_SCOPE: ControlPlaneScope = {
  gatewayClass: WAYPOINT_CLASS,
  controllerName: MESH_CONTROLLER,
  revision: '',
};

/** The field manager of our writes, and the value of the managed label, from the controller name (as istiod spells its own). */
export function fieldManagerOf(controllerName: string): string {
  return controllerName.replace(/\//g, '-');
}

/**
 * Whether an object is this revision's, as istiod's tag watcher decides
 * (`revisions.tagWatcher.IsMine`, without tags): its own `istio.io/rev`
 * label, else its namespace's; neither set means the default revision's.
 */
export function ownedByRevision(
  revision: string,
  labels: Readonly<Record<string, string>> | undefined,
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  const selected = labels?.[LABEL.rev] ?? namespaceLabels?.[LABEL.rev] ?? '';
  const mine = revision === '' ? 'default' : revision;
  return selected === mine || (selected === '' && mine === 'default');
}
