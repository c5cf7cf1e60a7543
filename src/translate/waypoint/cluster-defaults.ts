import { pack, shareEncoding, type TypeMap } from '../../envoy';
import { once, seconds, struct } from '../common';
import * as names from '../names';
import type { IstioProtocol } from '../ir';

// The parts istiod puts on its waypoint clusters that do not depend on the
// service: each is built (and its Any packed) once and shared by every
// cluster, so a waypoint with thousands of clusters pays for them once.

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type TransportSocket = NonNullable<Cluster['transport_socket']>;
type ProtocolOptions = NonNullable<Cluster['typed_extension_protocol_options']>;

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const MAX_UINT32 = 4_294_967_295;

/**
 * cluster_traffic_policy.go: getDefaultCircuitBreakerThresholds — limits so
 * high they never trip (Envoy's own defaults, 1024 connections and 3
 * retries, would throttle a busy waypoint), with remaining-capacity stats.
 */
export const defaultCircuitBreakers = once((): NonNullable<Cluster['circuit_breakers']> => ({
  thresholds: [
    {
      max_connections: { value: MAX_UINT32 },
      max_pending_requests: { value: MAX_UINT32 },
      max_requests: { value: MAX_UINT32 },
      max_retries: { value: MAX_UINT32 },
      track_remaining: true,
    },
  ],
}));

export const rawBuffer = once((): TransportSocket => ({
  name: 'raw_buffer',
  typed_config: pack('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
}));

/**
 * internal_upstream.go: DefaultInternalUpstreamTransportSocket — what a
 * cluster whose endpoint is an internal listener needs (main_internal,
 * encap); it passes no metadata on.
 */
export const defaultInternalUpstream = once((): TransportSocket => ({
  name: names.INTERNAL_UPSTREAM,
  typed_config: pack('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport', {
    transport_socket: rawBuffer(),
  }),
}));

/**
 * internal_upstream.go: WaypointInternalUpstreamTransportSocket — carries the
 * endpoint's original-destination and istio metadata into the internal
 * connection, so connect_originate learns which pod to tunnel to.
 */
export const waypointInternalUpstream = once((): TransportSocket => ({
  name: names.INTERNAL_UPSTREAM,
  typed_config: pack('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport', {
    passthrough_metadata: [
      { kind: { host: {} }, name: names.ORIGINAL_DST_METADATA },
      { kind: { host: {} }, name: names.ISTIO_METADATA },
    ],
    transport_socket: rawBuffer(),
  }),
}));

/**
 * cluster_builder.go: passthroughHttpProtocolOptions — the upstream speaks
 * whatever HTTP version the downstream spoke, idle connections close after
 * five minutes. Used on main_internal and encap.
 */
export const passthroughHttpOptions = once((): ProtocolOptions => ({
  [HTTP_OPTIONS]: pack(HTTP_OPTIONS, {
    common_http_protocol_options: { idle_timeout: seconds(300_000) },
    use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
  }),
}));

/** cluster_builder.go: setH2Options — HTTP/2 to the upstream. */
export const http2Options = once((): ProtocolOptions => ({
  [HTTP_OPTIONS]: pack(HTTP_OPTIONS, { explicit_http_config: { http2_protocol_options: {} } }),
}));

/** cluster_builder.go: setUseDownstreamProtocol — for sniffed ports, the version the client spoke. */
export const downstreamProtocolOptions = once((): ProtocolOptions => ({
  [HTTP_OPTIONS]: pack(HTTP_OPTIONS, {
    use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} },
  }),
}));

/**
 * cluster_builder.go: setUpstreamProtocol — HTTP/2 for http2/grpc/grpc-web
 * ports, the downstream's protocol for sniffed ports (waypoints sniff), none
 * for the rest.
 */
export function upstreamProtocolOptions(p: IstioProtocol | undefined): ProtocolOptions | undefined {
  if (p === 'http2' || p === 'grpc' || p === 'grpc-web') return http2Options();
  if (p === 'unsupported') return downstreamProtocolOptions();
  return undefined;
}

/**
 * cluster_waypoint.go: h2connectUpgrade — HBONE's HTTP/2 CONNECT, tunnels
 * idle for an hour closed.
 */
export const h2ConnectOptions = once((): ProtocolOptions => ({
  [HTTP_OPTIONS]: pack(HTTP_OPTIONS, {
    common_http_protocol_options: { idle_timeout: seconds(3_600_000) },
    explicit_http_config: { http2_protocol_options: { allow_connect: true } },
  }),
}));

/** cluster_traffic_policy.go: applyLoadBalancer — unready endpoints are sent, so Envoy must never panic-route to them. */
export const noPanicLbConfig = once((): NonNullable<Cluster['common_lb_config']> => ({
  healthy_panic_threshold: { value: 0 },
}));

/**
 * cluster_builder.go: maybeApplyEdsConfig — EDS over ADS, named like the
 * cluster, and no initial fetch timeout: the cluster waits for its endpoints.
 */
export function edsConfig(name: string): NonNullable<Cluster['eds_cluster_config']> {
  return {
    service_name: name,
    eds_config: { ads: {}, initial_fetch_timeout: { seconds: 0 }, resource_api_version: 'V3' },
  };
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIPCluster / cluster.go:
 * buildServiceMetadata — `istio.services` names the service for stats; an
 * inbound-vip cluster also carries its chain (`http` or `tcp`) as
 * `istio.subset` (util.go: AddSubsetToMetadata, given the chain as subset).
 */
export function serviceMetadata(
  host: string,
  name: string,
  namespace: string,
  subset = '',
): NonNullable<Cluster['metadata']> {
  // The same service gives the same value on each of its clusters and in
  // every translation: built once, and encoded once (shareEncoding).
  const key = `${host}\n${name}\n${namespace}\n${subset}`;
  let m = metadataByService.get(key);
  if (!m) {
    m = shareEncoding({
      filter_metadata: {
        [names.ISTIO_METADATA]: struct({ services: [{ host, name, namespace }], ...(subset ? { subset } : {}) }),
      },
    });
    if (metadataByService.size >= METADATA_CACHE_MAX) metadataByService.clear();
    metadataByService.set(key, m);
  }
  return m;
}

const metadataByService = new Map<string, NonNullable<Cluster['metadata']>>();
const METADATA_CACHE_MAX = 100_000;
