// The intermediate form between Kubernetes objects and Envoy resources: what
// one waypoint serves, with every reference already resolved. Building it
// (from the World and the ambient index) decides *what*; turning it into
// Envoy messages decides *how*. Each stage is pure and tested on its own.

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

export interface AccessLogIR {
  path: string;
  format: AccessLogFormatIR;
}

/** Everything that applies to one chain (service port, or the waypoint's direct chains). */
export interface ChainPolicyIR {
  authz: AuthzPolicyIR[];
  jwt: JwtRuleIR[];
  accessLogs: AccessLogIR[];
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
}

export interface ServiceIR {
  hostname: string;
  namespace: string;
  name: string;
  vips: string[];
  ports: ServicePortIR[];
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
   * IPs of the workloads bound to this waypoint, sorted: the only workload
   * addresses main_internal tunnels to (listener_waypoint.go: buildWaypointInternal).
   */
  workloadIps: string[];
}
