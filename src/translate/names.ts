// Every Envoy resource name and well-known constant a waypoint depends on,
// built in one place. Real waypoint Envoys, ztunnel and istioctl key on these
// exact spellings.

export const CONNECT_TERMINATE = 'connect_terminate';
export const MAIN_INTERNAL = 'main_internal';
export const CONNECT_ORIGINATE = 'connect_originate';
export const ENCAP = 'encap';
export const DIRECT_HTTP = 'direct-http';
export const DIRECT_TCP = 'direct-tcp';

export const HBONE_PORT = 15008;

/** Filter state key holding the peer's SPIFFE identity after mTLS ended on connect_terminate. */
export const PEER_PRINCIPAL_KEY = 'io.istio.peer_principal';
export const ORIGINAL_DST_METADATA = 'envoy.filters.listener.original_dst';
export const ISTIO_METADATA = 'istio';
/** Key under ORIGINAL_DST_METADATA holding the waypoint address to tunnel to instead. */
export const WAYPOINT_METADATA_KEY = 'waypoint';
export const INTERNAL_UPSTREAM = 'internal_upstream';

/** util.go: DelimitedStatsPrefix — a cluster's stats name ends in `;`. */
export function altStatName(name: string): string {
  return `${name};`;
}

export type ChainProtocol = 'http' | 'tcp';

/** `inbound-vip|<port>|<http|tcp>[/<subset>]|<hostname>`: a service port the waypoint owns (chain and cluster). */
export function inboundVip(port: number, protocol: ChainProtocol, hostname: string, subset = ''): string {
  return `inbound-vip|${port}|${protocol}${subset ? `/${subset}` : ''}|${hostname}`;
}

/** `outbound|<port>|<subset>|<hostname>`: a route backend the waypoint does not own. */
export function outbound(port: number, hostname: string, subset = ''): string {
  return `outbound|${port}|${subset}|${hostname}`;
}

/** Virtual host of an inbound HTTP chain's route configuration. */
export function inboundVirtualHost(port: number): string {
  return `inbound|http|${port}`;
}

/**
 * Route entry name for rule `index` of a route object: the rule's own `name`
 * when it has one, else `<ns>.<route>.<index>` (conversion.go: convertHTTPRoute).
 */
export function routeName(namespace: string, name: string, index: number, ruleName?: string): string {
  return ruleName ? ruleName : `${namespace}.${name}.${index}`;
}

/** Cluster istiod routes an unusable backendRef to; no such cluster exists, so Envoy answers 500. */
export const UNKNOWN_SERVICE = 'UnknownService';

/**
 * Where istiod sends a TCP/TLS rule whose backends all have weight 0: a
 * cluster that never exists, so the connection is refused (conversion.go:
 * convertTCPRoute, `internal.cluster.local` subset `zero-weight` port 65535).
 */
export const ZERO_WEIGHT_CLUSTER = inboundVip(65535, 'http', 'internal.cluster.local', 'zero-weight');

/** Envoy's retry host predicate that avoids hosts already tried (istio filters.go: RetryPreviousHosts). */
export const RETRY_PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';
/** Name of Envoy's CORS HTTP filter, also the key of its per-route config. */
export const CORS_FILTER = 'envoy.filters.http.cors';

/** RBAC policy key for rule `index` of an AuthorizationPolicy. */
export function rbacPolicyKey(namespace: string, name: string, index: number): string {
  return `ns[${namespace}]-policy[${name}]-rule[${index}]`;
}

/** extauthz.go: extAuthzMatchPrefix — what a CUSTOM policy's RBAC names start with. */
export const EXT_AUTHZ_MATCH_PREFIX = 'istio-ext-authz';
/** extauthz.go: badCustomActionSuffix — marks the DENY a CUSTOM policy becomes when its provider is unusable. */
export const BAD_CUSTOM_ACTION_SUFFIX = '-deny-due-to-bad-CUSTOM-action';

/**
 * builder.go: policyName (custom builder) — a CUSTOM policy's RBAC key carries
 * its provider, so ext_authz can tell its own policies apart; without a
 * provider name only the bare prefix.
 */
export function customPolicyKey(provider: string, namespace: string, name: string, index: number): string {
  const prefix = provider ? `${EXT_AUTHZ_MATCH_PREFIX}-${provider}-` : `${EXT_AUTHZ_MATCH_PREFIX}-`;
  return prefix + rbacPolicyKey(namespace, name, index);
}

/** extauthz.go: generateFilterMatcherForProvider — the metadata prefix that enables one provider's ext_authz. */
export function extAuthzEnablePrefix(provider: string): string {
  return `${EXT_AUTHZ_MATCH_PREFIX}-${provider}`;
}

export const DRY_RUN_ALLOW_PREFIX = 'istio_dry_run_allow_';
export const DRY_RUN_DENY_PREFIX = 'istio_dry_run_deny_';
/** permission.go: permissionPathTemplate names the extension this way. */
export const RBAC_URI_TEMPLATE = 'uri-template';

/** Service FQDN in the mesh's default domain. */
export function serviceHostname(name: string, namespace: string, domain = 'cluster.local'): string {
  return `${name}.${namespace}.svc.${domain}`;
}

/** `istio.workload` endpoint metadata: `<name>;<ns>;<canonical-name>;<canonical-rev>;<cluster>`. */
export function workloadMetadata(
  name: string,
  namespace: string,
  canonicalName: string,
  canonicalRevision: string,
  cluster: string,
): string {
  return [name, namespace, canonicalName, canonicalRevision, cluster].join(';');
}

/** `<ip>:<port>`, bracketing IPv6 addresses. */
export function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The transport socket name gRPC requires on a TLS cluster or filter chain. */
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
/** Certificate provider instance a proxyless bootstrap defines (Istio's agent writes `default`). */
export const CERT_PROVIDER = 'default';
/** Certificate names within it: the workload identity and the mesh roots. */
export const IDENTITY_CERT = 'default';
export const ROOT_CERT = 'ROOTCA';

/** A workload's identity, `spiffe://<trust domain>/ns/<namespace>/sa/<service account>`. */
export { spiffeId, SPIFFE_SCHEME } from '../model/spiffe';

/**
 * The JWKS inlined when a rule's keys could not be fetched, as istiod does
 * (jwks_resolver.go: BuildLocalJwks falls back to a public-only key set): an
 * RSA public key whose private half was discarded the moment it was made, so
 * no token can verify and requests carrying one are rejected (fail closed).
 */
export const UNUSABLE_JWKS = JSON.stringify({
  keys: [
    {
      kty: 'RSA',
      e: 'AQAB',
      n:
        'qasW74iTH8FH2BFhc4rdqtNlNPy0s7OLs7EbRyVp9izWEjCM4APo_mULvPgFN9jEp1T3wkd50FxqxFumoyh5hrkyEtps4RmZiIjCBXVE-_q9Dr2fPVEBDDe2-' +
        'F0TPo8nHadk2-ir9DS82ORI9TUFfFPEFcQN0RWsAUVudAyq39Ys-y75qaGZTRXlcF7KYMcSNCb8HkZ9yifzpKFqHYFYCzWG6bEMzz2dyZwR5zxiDSPox7ZD040' +
        'nP58dXHZ96XqMPHLQLWVEcwudyUwCVm1cjr0-1cBHmI_PkurvAhblix7mvqu74LBvif2tu8KIG_q5lp_NcC1edud6RB8K_UhuKw',
    },
  ],
});

/** policy_applier.go: buildSpaceDelimitedClaims — always split on spaces. */
export const DEFAULT_SPACE_DELIMITED_CLAIMS = ['permission', 'scope'];

/** Path of istiod's built-in `envoy` access-log provider. */
export const ACCESS_LOG_STDOUT = '/dev/stdout';

/**
 * Istio's access-log line (telemetry_logging.go: EnvoyTextLogFormat), the
 * built-in `envoy` provider's format when the mesh config sets none.
 */
export const ISTIO_TEXT_LOG_FORMAT =
  [
    '[%START_TIME%]',
    '"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"',
    '%RESPONSE_CODE%',
    '%RESPONSE_FLAGS%',
    '%RESPONSE_CODE_DETAILS%',
    '%CONNECTION_TERMINATION_DETAILS%',
    '"%UPSTREAM_TRANSPORT_FAILURE_REASON%"',
    '%BYTES_RECEIVED%',
    '%BYTES_SENT%',
    '%DURATION%',
    '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
    '"%REQ(X-FORWARDED-FOR)%"',
    '"%REQ(USER-AGENT)%"',
    '"%REQ(X-REQUEST-ID)%"',
    '"%REQ(:AUTHORITY)%"',
    '"%UPSTREAM_HOST%"',
    '%UPSTREAM_CLUSTER_RAW%',
    '%UPSTREAM_LOCAL_ADDRESS%',
    '%DOWNSTREAM_LOCAL_ADDRESS%',
    '%DOWNSTREAM_REMOTE_ADDRESS%',
    '%REQUESTED_SERVER_NAME%',
    '%ROUTE_NAME%',
  ].join(' ') + '\n';

/**
 * Istio's JSON access-log fields (telemetry_logging.go: EnvoyJSONLogFormatIstio),
 * used when the mesh config's `accessLogEncoding` is JSON and sets no format.
 */
export const ISTIO_JSON_LOG_FORMAT: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  route_name: '%ROUTE_NAME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  response_code_details: '%RESPONSE_CODE_DETAILS%',
  connection_termination_details: '%CONNECTION_TERMINATION_DETAILS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER_RAW%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
};

/** The command operator that needs the req_without_query formatter extension. */
export const REQ_WITHOUT_QUERY_OPERATOR = '%REQ_WITHOUT_QUERY';
export const REQ_WITHOUT_QUERY_FORMATTER = 'envoy.formatter.req_without_query';

// DestinationRule and backend-policy parts of a waypoint's clusters.

/** wellknown.TransportSocketPROXY: PROXY protocol ahead of the upstream transport. */
export const UPSTREAM_PROXY_PROTOCOL = 'envoy.transport_sockets.upstream_proxy_protocol';

/** credentials/resource.go: SdsCaSuffix — the SDS name of a credential's CA bundle. */
export const SDS_CA_SUFFIX = '-cacert';

/**
 * credentials/resource.go: ToResourceName — the SDS resource a DestinationRule
 * `credentialName` is fetched as: typed names kept, a bare name is a Secret.
 */
export function credentialResource(name: string): string {
  if (name.startsWith('builtin://')) return 'default';
  if (name.startsWith('invalid://')) return 'invalid://';
  if (/^(configmap|kubernetes|kubernetes-gateway):\/\//.test(name)) return name;
  return `kubernetes://${name}`;
}

/** security.go: SdsCertificateConfig — SDS names of certificate files the proxy agent reads. */
export function fileCertResource(cert: string, key: string): string {
  return `file-cert:${cert}~${key}`;
}
export function fileRootResource(ca: string): string {
  return `file-root:${ca}`;
}

/** util.go: AddConfigInfoMetadata — the object a cluster's settings came from, as `istio.config`. */
export function configPath(group: string, version: string, kebabKind: string, namespace: string, name: string): string {
  return `/apis/${group}/${version}/namespaces/${namespace}/${kebabKind}/${name}`;
}

// Telemetry providers (telemetry_logging.go, accesslog.go, tracing.go, telemetry.go).

/** The mesh's built-in file access-log provider (telemetry_logging.go: builtinEnvoyAccessLogProvider). */
export const BUILTIN_ACCESS_LOG_PROVIDER = 'envoy';
export const ACCESS_LOGGER_FILE = 'envoy.access_loggers.file';
export const ACCESS_LOGGER_HTTP_GRPC = 'envoy.access_loggers.http_grpc';
export const ACCESS_LOGGER_TCP_GRPC = 'envoy.tcp_grpc_access_log';
/** Default ALS log names (HTTPEnvoyAccessLogFriendlyName, TCPEnvoyAccessLogFriendlyName). */
export const HTTP_ALS_LOG_NAME = 'http_envoy_accesslog';
export const TCP_ALS_LOG_NAME = 'tcp_envoy_accesslog';
/** Filter state the ALS providers log unless told otherwise (envoyStateToLog). */
export const ALS_FILTER_STATE_OBJECTS: readonly string[] = ['upstream_peer', 'downstream_peer'];
/** accesslog.go: celFilter — the access-log filter extension for Telemetry `filter.expression`. */
export const ACCESS_LOG_CEL_FILTER = 'envoy.access_loggers.extension_filters.cel';

export const TRACER_ZIPKIN = 'envoy.tracers.zipkin';
export const TRACER_DATADOG = 'envoy.tracers.datadog';
export const TRACER_OPENTELEMETRY = 'envoy.tracers.opentelemetry';
export const TRACER_SKYWALKING = 'envoy.tracers.skywalking';
/** tracing.go: zipkinConfig — Zipkin's v2 span endpoint when the provider sets no path. */
export const ZIPKIN_DEFAULT_ENDPOINT = '/api/v2/spans';
/** features/telemetry.go: PILOT_TRACE_SAMPLING defaults to 1%. */
export const DEFAULT_TRACE_SAMPLING_PERCENT = 1;

/** telemetry.go: metricToPrometheusMetric — Telemetry metric names as the stats filter knows them. */
export const PROMETHEUS_METRIC_NAMES: Readonly<Record<string, string>> = {
  REQUEST_COUNT: 'requests_total',
  REQUEST_DURATION: 'request_duration_milliseconds',
  REQUEST_SIZE: 'request_bytes',
  RESPONSE_SIZE: 'response_bytes',
  TCP_OPENED_CONNECTIONS: 'tcp_connections_opened_total',
  TCP_CLOSED_CONNECTIONS: 'tcp_connections_closed_total',
  TCP_SENT_BYTES: 'tcp_sent_bytes_total',
  TCP_RECEIVED_BYTES: 'tcp_received_bytes_total',
  GRPC_REQUEST_MESSAGES: 'request_messages_total',
  GRPC_RESPONSE_MESSAGES: 'response_messages_total',
};
/** accesslog.go: hboneTerminationAccessLogFilter — a runtime key the API requires, set so it never resolves. */
export const UNSET_RUNTIME_KEY = 'istio.io/unset';

/** cluster_builder.go: buildCluster — the DNS resolver of STRICT_DNS / LOGICAL_DNS clusters. */
export const CARES_DNS_RESOLVER = 'envoy.network.dns_resolver.cares';
/** cluster_builder.go: buildDFPCluster — the custom cluster type of a DYNAMIC_DNS host. */
export const DFP_CLUSTER = 'envoy.clusters.dynamic_forward_proxy';
/** filters.go: buildDynamicForwardProxyFilter. */
export const DFP_HTTP_FILTER = 'envoy.filters.http.dynamic_forward_proxy';
/** networkfilter.go: buildSNIDFPFilter (wellknown.SNIDynamicForwardProxy). */
export const SNI_DFP_FILTER = 'envoy.filters.network.sni_dynamic_forward_proxy';

/** model/service.go: BuildDNSCacheName — one DNS cache per wildcard host, shared by its cluster and filter. */
export function dnsCacheName(hostname: string): string {
  return `${hostname}_dfp_dns_cache`;
}
/** Name of Envoy's fault HTTP filter, also the key of its per-route config (route.go: TranslateRoute). */
export const FAULT_FILTER = 'envoy.filters.http.fault';
/** The retry priority `retryRemoteLocalities` selects (retry.go: ConvertPolicy). */
export const RETRY_PREVIOUS_PRIORITIES = 'envoy.retry_priorities.previous_priorities';

/** The OpenTelemetry access logger (telemetry_logging.go: OtelEnvoyALSName, OtelEnvoyAccessLogFriendlyName). */
export const ACCESS_LOGGER_OTEL = 'envoy.access_loggers.open_telemetry';
export const OTEL_ALS_LOG_NAME = 'otel_envoy_accesslog';
/** Filter state the OpenTelemetry logger always logs: the peer keys, old and new (envoyWasmStateToLog). */
export const OTEL_ALS_FILTER_STATE_OBJECTS: readonly string[] = [
  'upstream_peer',
  'downstream_peer',
  'wasm.upstream_peer',
  'wasm.upstream_peer_id',
  'wasm.downstream_peer',
  'wasm.downstream_peer_id',
];
// Credentials the control plane serves over SDS (pilot/pkg/model/credentials/resource.go).

/** KubernetesSecretTypeURI: `kubernetes://<name>` or `kubernetes://<namespace>/<name>`. */
export const SDS_KUBERNETES_PREFIX = 'kubernetes://';
/** KubernetesConfigMapTypeURI: `configmap://<namespace>/<name>`, a CA bundle only. */
export const SDS_CONFIGMAP_PREFIX = 'configmap://';
/** InvalidSecretTypeURI: a reference that could not be resolved; never served. */
export const SDS_INVALID_PREFIX = 'invalid://';

/**
 * A cluster name built by `inboundVip` or `outbound`, read back: its port and
 * hostname. Undefined for any other name (`UnknownService`, a blackhole).
 */
export function clusterNameParts(
  name: string,
): { kind: 'inbound-vip' | 'outbound'; port: number; hostname: string; subset: string } | undefined {
  const [kind, port = '', middle = '', hostname = '', ...rest] = name.split('|');
  if ((kind !== 'inbound-vip' && kind !== 'outbound') || rest.length > 0 || !/^\d{1,5}$/.test(port) || !hostname)
    return undefined;
  // inbound-vip names carry `<chain>/<subset>`; outbound names the subset alone.
  const subset = kind === 'inbound-vip' ? middle.split('/').slice(1).join('/') : middle;
  return { kind, port: +port, hostname, subset };
}
