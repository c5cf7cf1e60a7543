import type { ConsistentHashLB, TrafficPolicy } from '../model';

// The intermediate form between Kubernetes objects and Envoy resources: what
// one waypoint serves, with every reference already resolved. Building it
// (from the World and the ambient index) decides *what*; turning it into
// Envoy messages decides *how*. Each stage is pure and tested on its own.

import type { TypeMap } from '../envoy';
import type { LocalityLbIR } from './waypoint/locality-lb';

export type PortProtocol = 'http' | 'tcp' | 'sniff';
/** istio's protocol names (pkg/config/protocol: Instance); `unsupported` means sniffed. */
export type IstioProtocol =
  | 'grpc'
  | 'grpc-web'
  | 'http'
  | 'http_proxy'
  | 'http2'
  | 'https'
  | 'tcp'
  | 'tls'
  | 'udp'
  | 'mongo'
  | 'redis'
  | 'mysql'
  | 'unsupported';

export interface WorkloadRef {
  name: string;
  namespace: string;
  canonicalName: string;
  canonicalRevision: string;
  cluster: string;
}

export interface EndpointIR {
  ip: string;
  port: number;
  /** Enrolled in ambient: reached through connect_originate (HBONE); else plain TCP. */
  inMesh: boolean;
  ready: boolean;
  workload: WorkloadRef;
  /** `region/zone/subzone`, when known. */
  locality?: string;
}

export interface StringMatchIR {
  kind: 'exact' | 'prefix' | 'suffix' | 'regex' | 'contains' | 'present';
  value: string;
  ignoreCase?: boolean;
}

export interface HeaderMatchIR {
  name: string;
  match: StringMatchIR;
  invert?: boolean;
  /** An inverted match that also holds when the header is missing (route.go: TranslateRouteMatch). */
  treatMissingAsEmpty?: boolean;
}

export interface RouteMatchIR {
  path?: { kind: 'exact' | 'prefix' | 'regex'; value: string };
  headers: HeaderMatchIR[];
  queryParams: { name: string; match: StringMatchIR }[];
  method?: string;
  /** gRPC: `/<service>/<method>` exact or `/<service>/` prefix, already folded into path. */
}

export interface HeaderMutationIR {
  set: { name: string; value: string }[];
  add: { name: string; value: string }[];
  remove: string[];
}

export interface BackendIR {
  cluster: string;
  weight: number;
  requestHeaders?: HeaderMutationIR;
  responseHeaders?: HeaderMutationIR;
  /** A destination's own `:authority` (route.go: processDestination, processWeightedDestination). */
  hostRewrite?: string;
}

/** An Envoy FractionalPercent. */
export interface FractionIR {
  numerator: number;
  denominator: 'HUNDRED' | 'MILLION';
}

/** A VirtualService fault as istiod translates it (route.go: TranslateFault). */
export interface FaultIR {
  delay?: { fixedDelayMs: number; percentage: FractionIR };
  abort?: { httpStatus?: number; grpcStatus?: number; percentage?: FractionIR };
}

/** What a VirtualService route has that a Gateway API one does not (route.go: TranslateRoute). */
export interface VsRouteIR {
  /** `case_sensitive`, set on every route with a match. */
  caseSensitive?: boolean;
  statPrefix?: string;
  regexRewrite?: { pattern: string; substitution: string };
  fault?: FaultIR;
  /** More than one destination was written: weighted_clusters even if one is left. */
  weighted: boolean;
  /** CORS: `forward_not_matching_preflights`, and `allow_credentials` as written. */
  corsForwardNotMatching?: boolean;
  corsAllowCredentials?: boolean;
  directResponseBytes?: string;
}

/** An Envoy retry policy as istiod builds it (route/retry/retry.go: ConvertPolicy). */
export interface RetryIR {
  attempts: number;
  perTryTimeoutMs?: number;
  /** HTTP status codes to retry on (`retriable_status_codes`). */
  codes: number[];
  /** Envoy's `retry_on` conditions, `retriable-status-codes` included when it applies. */
  retryOn: string[];
  backoffBaseMs?: number;
  /** `retryIgnorePreviousHosts: false`: no previous_hosts predicate. */
  noHostPredicate?: boolean;
  /** `retryRemoteLocalities`: the previous_priorities retry priority. */
  remoteLocalities?: boolean;
}

/** HTTPRoute's CORS filter as istiod converts it (conversion.go: createCorsFilter). */
export interface CorsIR {
  allowOrigins: StringMatchIR[];
  allowCredentials: boolean;
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface RedirectIR {
  scheme?: string;
  hostname?: string;
  port?: number;
  path?: { kind: 'full' | 'prefix'; value: string };
  statusCode: number;
}

export interface RewriteIR {
  hostname?: string;
  path?: { kind: 'full' | 'prefix'; value: string };
}

export interface HttpRouteIR {
  /** The rule's `name`, else `<ns>.<route>.<rule index>` */
  name: string;
  match: RouteMatchIR;
  backends: BackendIR[];
  /** A rule whose backends all failed to resolve answers 500, as Gateway API requires. */
  directResponse?: { status: number; body?: string };
  redirect?: RedirectIR;
  rewrite?: RewriteIR;
  requestHeaders?: HeaderMutationIR;
  responseHeaders?: HeaderMutationIR;
  mirrors: { cluster: string; percent?: number; fraction?: FractionIR }[];
  cors?: CorsIR;
  timeoutMs?: number;
  /** Absent: no retries (a rule's `retry.attempts: 0`). */
  retry?: RetryIR;
  grpc: boolean;
  /** One per backend whose DestinationRule hashes consistently (route.go: processDestination). */
  hashPolicy?: ConsistentHashLB[];
  /** Set for a VirtualService's route: its semantics and the object it came from. */
  vs?: VsRouteIR;
  source?: { kind: string; namespace: string; name: string };
}

export interface TcpRouteIR {
  name: string;
  backends: BackendIR[];
  /** The route's kind: a TLSRoute for the service host is applied like a TCPRoute. */
  kind: 'TCPRoute' | 'TLSRoute' | 'VirtualService';
  /** The object, when the name does not say (a VirtualService's route). */
  source?: { kind: string; namespace: string; name: string };
}

/** One AuthorizationPolicy rule set ready for RBAC, produced by the authz builder. */
export interface AuthzPolicyIR {
  namespace: string;
  name: string;
  action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  dryRun: boolean;
  provider?: string;
  /** For CUSTOM: the resolved ext_authz service; absent means fail closed. */
  custom?: ExtAuthzIR;
  /** The mesh config's trust domain aliases, under which principals are also accepted. */
  trustDomainAliases?: string[];
  rules: AuthzRuleIR[];
  /** The index each rule had as written, when load dropped invalid ones (then no rules is not "written without rules"). */
  ruleIndexes?: readonly number[];
}

export interface ExtAuthzIR {
  provider: string;
  kind: 'grpc' | 'http';
  cluster: string;
  host: string;
  port: number;
  timeoutMs: number;
  failOpen: boolean;
  statusOnError?: number;
  pathPrefix?: string;
  includeRequestHeadersInCheck: string[];
  headersToUpstreamOnAllow: string[];
  headersToDownstreamOnDeny: string[];
  headersToDownstreamOnAllow: string[];
  includeAdditionalHeadersInCheck: { key: string; value: string }[];
  includeRequestBodyInCheck?: { maxRequestBytes: number; allowPartialMessage: boolean; packAsBytes: boolean };
}

export interface AuthzRuleIR {
  from: AuthzSourceIR[];
  to: AuthzOperationIR[];
  when: { key: string; values: string[]; notValues: string[] }[];
}

/** A rule's `from.source`, values as written (resolved by the RBAC builder as istiod does). */
export interface AuthzSourceIR {
  principals: string[];
  notPrincipals: string[];
  serviceAccounts: string[];
  notServiceAccounts: string[];
  trustDomains: string[];
  notTrustDomains: string[];
  requestPrincipals: string[];
  notRequestPrincipals: string[];
  namespaces: string[];
  notNamespaces: string[];
  ipBlocks: string[];
  notIpBlocks: string[];
  remoteIpBlocks: string[];
  notRemoteIpBlocks: string[];
}

export interface AuthzOperationIR {
  hosts: string[];
  notHosts: string[];
  ports: string[];
  notPorts: string[];
  methods: string[];
  notMethods: string[];
  paths: string[];
  notPaths: string[];
}

export interface JwtRuleIR {
  /** `<ns>/<RequestAuthentication name>/<index>`: the provider's identity. */
  key: string;
  issuer: string;
  audiences: string[];
  jwksUri?: string;
  /** The key set inlined into the filter: given, fetched by the control plane, or the unusable one. */
  jwks: string;
  /** Why the keys could not be fetched (the rule then rejects every token). */
  jwksError?: string;
  spaceDelimitedClaims: string[];
  fromHeaders: { name: string; prefix: string }[];
  fromParams: string[];
  fromCookies: string[];
  forwardOriginalToken: boolean;
  outputPayloadToHeader?: string;
  outputClaimToHeaders: { header: string; claim: string }[];
}

/** What an access-log line looks like: a text template, or JSON fields. */
export type AccessLogFormatIR = { kind: 'text'; text: string } | { kind: 'json'; fields: Record<string, unknown> };

/** One access log; `filter` is a CEL expression that must hold for a line to be written. */
export type AccessLogIR = (
  | { kind: 'file'; path: string; format: AccessLogFormatIR; omitEmptyValues?: boolean }
  | {
      kind: 'http-grpc' | 'tcp-grpc';
      logName: string;
      cluster: string;
      authority: string;
      filterStateObjectsToLog: string[];
      additionalRequestHeadersToLog: string[];
      additionalResponseHeadersToLog: string[];
      additionalResponseTrailersToLog: string[];
    }
  | {
      /** envoyOtelAls: a log record per request, its body a format line, its attributes named format strings. */
      kind: 'otel';
      logName: string;
      cluster: string;
      authority: string;
      body: string;
      attributes: { key: string; value: string }[];
    }
) & { filter?: string };

/** A tracing custom tag, as the Telemetry API and istiod's own tags write it. */
export type CustomTagIR = { tag: string } & (
  { literal: string } | { header: string; defaultValue?: string } | { environment: string; defaultValue?: string }
);

/** The tracer an HCM reports to: an Envoy tracer extension with its typed config. */
export type TracerIR = {
  name: string;
  spawnUpstreamSpan?: boolean;
  maxPathTagLength?: number;
} & (
  | { type: 'envoy.config.trace.v3.ZipkinConfig'; config: TypeMap['envoy.config.trace.v3.ZipkinConfig'] }
  | { type: 'envoy.config.trace.v3.DatadogConfig'; config: TypeMap['envoy.config.trace.v3.DatadogConfig'] }
  | { type: 'envoy.config.trace.v3.SkyWalkingConfig'; config: TypeMap['envoy.config.trace.v3.SkyWalkingConfig'] }
  | { type: 'envoy.config.trace.v3.OpenTelemetryConfig'; config: TypeMap['envoy.config.trace.v3.OpenTelemetryConfig'] }
);

/** Tracing configured by Telemetry; `off` means the HCM has none. */
export type TracingIR =
  | { off: true }
  | {
      off?: false;
      /** Absent: the tracer of the proxy's bootstrap (tracing from the mesh config's proxy defaults). */
      tracer?: TracerIR;
      randomSampling: number;
      maxPathTagLength?: number;
      /** The Telemetry's own tags; istiod's tags about the proxy join them when `istioTags`. */
      customTags: CustomTagIR[];
      istioTags: boolean;
      useRequestIdForTraceSampling: boolean;
    };

/** One Istio stats filter: the metric overrides istiod puts in its config. */
export interface StatsFilterIR {
  metrics: { name: string; drop: boolean; dimensions: Record<string, string>; tagsToRemove: string[] }[];
  tcpReportingMs?: number;
}

/** Everything that applies to one chain (service port, or the waypoint's direct chains). */
export interface ChainPolicyIR {
  authz: AuthzPolicyIR[];
  jwt: JwtRuleIR[];
  accessLogs: AccessLogIR[];
  /** Absent: the mesh config's tracing (the default tracer, 1% sampling). */
  tracing?: TracingIR;
  /** Absent: one stats filter without overrides (the default prometheus provider). */
  stats?: StatsFilterIR[];
}

export interface ServicePortIR {
  port: number;
  name: string;
  /** Which chains the port gets. */
  protocol: PortProtocol;
  /** istio's protocol of the port (HTTP/2 upstream, TLS inspection). */
  istioProtocol: IstioProtocol;
  endpoints: EndpointIR[];
  httpRoutes: HttpRouteIR[];
  tcpRoutes: TcpRouteIR[];
  policy: ChainPolicyIR;
  /** The DestinationRule (or backend policy) for this port, when one applies. */
  destination?: DestinationIR;
  /** Endpoint priorities / weights when no rule applies (Service trafficDistribution, mesh config). */
  localityLb?: LocalityLbIR;
  /** The cluster gets locality-weighted balancing though no rule applies (locality-lb.ts: localityWeighted). */
  localityWeighted?: true;
  /** The rule's consistent hash, for the route used when no HTTPRoute applies (httproute.go). */
  defaultHash?: ConsistentHashLB;
  /** tcp_proxy settings from the rule of the port's (first) TCP destination (listener_waypoint.go). */
  tcpProxy?: TcpProxyIR;
}

/** listener_waypoint.go: buildWaypointNetworkFilters — what a DestinationRule sets on tcp_proxy. */
export interface TcpProxyIR {
  idleTimeout?: string;
  maxConnectionDuration?: string;
  sourceIpHash?: boolean;
  tunnel?: { hostname: string; usePost: boolean };
}

/**
 * What a DestinationRule does to one service port's clusters
 * (cluster_waypoint.go: buildWaypointInboundVIP): the policy of the port,
 * and one set of clusters per subset.
 */
export interface DestinationIR {
  /** `istio.config` metadata of the rule, set on clusters a policy applies to. */
  config: string;
  policy?: TrafficPolicy;
  subsets: SubsetIR[];
  /** Endpoint priorities / weights by the waypoint's locality (locality-lb.ts). */
  localityLb?: LocalityLbIR;
  /** locality-lb.ts: localityWeighted for the port's cluster. */
  localityWeighted?: true;
}

export interface SubsetIR {
  name: string;
  policy?: TrafficPolicy;
  /** The port's endpoints whose workload carries every label of the subset. */
  endpoints: EndpointIR[];
  localityLb?: LocalityLbIR;
  localityWeighted?: true;
}

/** ServiceEntry `resolution`: how the waypoint finds a host's endpoints. */
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN' | 'DYNAMIC_DNS';

export interface ServiceIR {
  hostname: string;
  namespace: string;
  name: string;
  vips: string[];
  ports: ServicePortIR[];
  /** Set for a ServiceEntry host; a Service's endpoints always come by EDS. */
  serviceEntry?: {
    resolution: ServiceEntryResolution;
    /** Resolve every address family and race them (dns-connect-strategy RACE_FIRST_TCP_CONNECT). */
    raceFirstConnect: boolean;
    /** Port → targetPort for NONE resolution (PassthroughTargetPorts). */
    targetPorts: Record<number, number>;
  };
}

/** A route backend the waypoint does not own: an `outbound|…` cluster. */
export interface OutboundClusterIR {
  cluster: string;
  hostname: string;
  port: number;
  endpoints: EndpointIR[];
  /** The backend speaks gRPC (ext_authz): the cluster must use HTTP/2. */
  http2?: boolean;
  /** The backend port's protocol, when it is a Service port. */
  protocol?: IstioProtocol;
  /** A ServiceEntry host another waypoint (or none) serves: its resolution picks the cluster type. */
  serviceEntry?: ServiceIR['serviceEntry'] & {
    namespace: string;
    /** `location` MESH_EXTERNAL, the default (service.MeshExternal): `istio.external` on its cluster. */
    meshExternal?: true;
    /** The entry's name, when known (its endpoints' labels for locality ranks). */ entry?: string;
  };
  /** The DestinationRule policy of the backend's port and the rule's `istio.config` path (outbound-policy.ts). */
  destination?: { policy: TrafficPolicy; config: string; localityLb?: LocalityLbIR; localityWeighted?: true };
  /** Without a rule's policy: locality plan and setting from trafficDistribution or the mesh config. */
  localityLb?: LocalityLbIR;
  localityWeighted?: true;
  /** A subset's cluster `outbound|<port>|<subset>|<host>` (outbound-subsets.ts): `istio.subset` metadata. */
  subset?: string;
}

export interface WaypointIR {
  namespace: string;
  name: string;
  trustDomain: string;
  /** The cluster the waypoint runs in (tracing tags). */
  clusterId: string;
  services: ServiceIR[];
  outbound: OutboundClusterIR[];
  /** Policy for traffic addressed to workload IPs (direct-http / direct-tcp). */
  direct: ChainPolicyIR;
  /**
   * Set when the mesh config has a defaultHttpRetryPolicy: the policy of the
   * default routes (none when `attempts` is 0); unset, the default policy.
   */
  meshRetry?: { retry?: RetryIR };
  /** The mesh config's `disableEnvoyListenerLog`: listeners carry no access log of their own. */
  disableListenerLog?: boolean;
  /**
   * IPs of the workloads bound to this waypoint, sorted: the only workload
   * addresses main_internal tunnels to (listener_waypoint.go: buildWaypointInternal).
   */
  workloadIps: string[];
}
