// Every type URL we serve, in one place, in push order. Make-before-break:
// clusters before their endpoints, before listeners, before the routes that
// point at clusters; removals travel in the reverse of this order.
const PREFIX = 'type.googleapis.com/';

export const TypeUrl = {
  Cluster: `${PREFIX}envoy.config.cluster.v3.Cluster`,
  Endpoint: `${PREFIX}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  Listener: `${PREFIX}envoy.config.listener.v3.Listener`,
  Route: `${PREFIX}envoy.config.route.v3.RouteConfiguration`,
  Address: `${PREFIX}istio.workload.Address`,
  Workload: `${PREFIX}istio.workload.Workload`,
  Authorization: `${PREFIX}istio.security.Authorization`,
  Secret: `${PREFIX}envoy.extensions.transport_sockets.tls.v3.Secret`,
} as const;

export type ResourceTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** Debug types answered on request over SotW; not resources in the cache. */
export const DebugTypeUrl = {
  Syncz: 'istio.io/debug/syncz',
  ConfigDump: 'istio.io/debug/config_dump',
} as const;

export const PUSH_ORDER: readonly ResourceTypeUrl[] = [
  TypeUrl.Cluster,
  TypeUrl.Endpoint,
  TypeUrl.Listener,
  TypeUrl.Route,
  // ads.go: PushOrder puts SDS after RDS; a cluster waits (warming) for its secret.
  TypeUrl.Secret,
  TypeUrl.Address,
  TypeUrl.Workload,
  TypeUrl.Authorization,
];

/** Types where an empty first subscription means "everything" (legacy wildcard). */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([
  TypeUrl.Cluster,
  TypeUrl.Listener,
  TypeUrl.Address,
  TypeUrl.Workload,
  TypeUrl.Authorization,
]);

const SHORT: Record<string, string> = {
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.Endpoint]: 'EDS',
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.Route]: 'RDS',
  [TypeUrl.Address]: 'WDS',
  [TypeUrl.Workload]: 'WORKLOAD',
  [TypeUrl.Authorization]: 'AUTHZ',
  [TypeUrl.Secret]: 'SDS',
};

/** Short label used in metrics and logs (pilot_xds_pushes{type="cds"} style). */
export function shortType(typeUrl: string): string {
  return SHORT[typeUrl] ?? typeUrl;
}

export function isResourceType(typeUrl: string): typeUrl is ResourceTypeUrl {
  return typeUrl in SHORT;
}

/** Message name carried by a type URL. */
export function messageName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}

// One string per message type, not one per resource: every PreparedResource
// keeps its type URL, and a fresh concatenation is a string of its own.
const URLS = new Map<string, string>();

export function typeUrlOf(messageFullName: string): string {
  let url = URLS.get(messageFullName);
  if (url === undefined) URLS.set(messageFullName, (url = PREFIX + messageFullName));
  return url;
}
