import { pack, type TypeMap } from '../../envoy';
import { struct } from '../common';
import type { StatsFilterIR } from '../ir';
import { PEER_PRINCIPAL_KEY } from '../names';

// Filters of Istio's Envoy build and the filter state keys it relies on.
// Istio-only config types travel as udpa TypedStruct, which that build
// unpacks by the inner type URL.

type Any = TypeMap['google.protobuf.Any'];
type HttpFilter = TypeMap['envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter'];
type NetworkFilter = TypeMap['envoy.config.listener.v3.Filter'];
type FilterStateValue = TypeMap['envoy.extensions.filters.common.set_filter_state.v3.FilterStateValue'];

function typedStruct(typeUrl: string, value: Record<string, unknown>): Any {
  return pack('udpa.type.v1.TypedStruct', { type_url: typeUrl, value: struct(value) });
}

const PEER_METADATA_TYPE = 'type.googleapis.com/io.istio.http.peer_metadata.Config';
const ORIGINAL_DST_LOCAL_IP = 'envoy.filters.listener.original_dst.local_ip';
const ORIGINAL_DST_REMOTE_IP = 'envoy.filters.listener.original_dst.remote_ip';
export const CONNECT_AUTHORITY_KEY = 'io.istio.connect_authority';
const HASHABLE_STRING = 'istio.hashable_string';

/** connect_terminate: learn the downstream peer's workload metadata. */
export function downstreamPeerMetadata(): HttpFilter {
  return {
    name: 'waypoint_downstream_peer_metadata',
    typed_config: typedStruct(PEER_METADATA_TYPE, {
      downstream_discovery: [{ workload_discovery: {} }],
      shared_with_upstream: true,
    }),
  };
}

/** Service chains: learn the upstream peer's workload metadata, for telemetry. */
export function upstreamPeerMetadata(): HttpFilter {
  return {
    name: 'waypoint_upstream_peer_metadata',
    typed_config: typedStruct(PEER_METADATA_TYPE, { upstream_discovery: [{ workload_discovery: {} }] }),
  };
}

function fs(key: string, format: string, factory?: string): FilterStateValue {
  return {
    object_key: key,
    format_string: { text_format_source: { inline_string: format } },
    shared_with_upstream: 'ONCE',
    ...(factory ? { factory_key: factory } : {}),
  };
}

/**
 * connect_terminate: the CONNECT :authority is the original destination, and
 * the mTLS peer's URI SAN becomes io.istio.peer_principal, which RBAC reads
 * since mTLS ends here.
 */
export function connectAuthority(): HttpFilter {
  return {
    name: 'connect_authority',
    typed_config: pack('envoy.extensions.filters.http.set_filter_state.v3.Config', {
      on_request_headers: [
        fs(ORIGINAL_DST_LOCAL_IP, '%REQ(:AUTHORITY)%'),
        fs(CONNECT_AUTHORITY_KEY, '%REQ(:AUTHORITY)%', HASHABLE_STRING),
        fs(ORIGINAL_DST_REMOTE_IP, '%DOWNSTREAM_REMOTE_ADDRESS%'),
        fs(PEER_PRINCIPAL_KEY, '%DOWNSTREAM_PEER_URI_SAN%', HASHABLE_STRING),
        fs('io.istio.local_principal', '%DOWNSTREAM_LOCAL_URI_SAN%', HASHABLE_STRING),
      ],
    }),
  };
}

/** direct-* chains: carry the original destination through to connect_originate. */
export function directConnectAuthority(): NetworkFilter {
  return {
    name: 'connect_authority',
    typed_config: pack('envoy.extensions.filters.network.set_filter_state.v3.Config', {
      on_new_connection: [fs(ORIGINAL_DST_LOCAL_IP, `%FILTER_STATE(${ORIGINAL_DST_LOCAL_IP}:PLAIN)%`)],
    }),
  };
}

/**
 * Istio's standard metrics (telemetry.go: generateStatsConfig for a waypoint):
 * without a Telemetry, no overrides; with one, its metric overrides and TCP
 * reporting interval.
 */
export function istioStats(f?: StatsFilterIR): { name: string; typed_config: Any } {
  const metrics = (f?.metrics ?? []).map((m) => ({
    ...(Object.keys(m.dimensions).length > 0 ? { dimensions: m.dimensions } : {}),
    name: m.name,
    ...(m.tagsToRemove.length > 0 ? { tags_to_remove: m.tagsToRemove } : {}),
    ...(m.drop ? { drop: true } : {}),
  }));
  const ms = f?.tcpReportingMs;
  return {
    name: 'istio.stats',
    typed_config: typedStruct('type.googleapis.com/stats.PluginConfig', {
      disable_host_header_fallback: true,
      ...(ms !== undefined ? { tcp_reporting_duration: `${ms / 1000}s` } : {}),
      ...(metrics.length > 0 ? { metrics } : {}),
      reporter: 'SERVER_GATEWAY',
    }),
  };
}

/** Peer metadata exchange on TCP chains. */
export function metadataExchange(): NetworkFilter {
  return {
    name: 'istio.metadata_exchange',
    typed_config: typedStruct('type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange', {
      protocol: 'istio-peer-exchange',
      enable_discovery: true,
    }),
  };
}
