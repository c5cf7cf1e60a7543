import { pack, type TypeMap } from '../envoy';
import { struct } from './common';

// Filters that exist only in Istio's Envoy build. Their config types are not
// in Envoy's proto tree, so they travel as TypedStruct, which Envoy unpacks
// by the inner type URL.

type Any = TypeMap['google.protobuf.Any'];

function typedStruct(typeUrl: string, value: Record<string, unknown>): Any {
  return pack('xds.type.v3.TypedStruct', { type_url: typeUrl, value: struct(value) });
}

/** Peer metadata discovery for telemetry (HTTP). */
export const PEER_METADATA = {
  name: 'envoy.filters.http.peer_metadata',
  config: () =>
    typedStruct('type.googleapis.com/io.istio.http.peer_metadata.Config', {
      upstream_discovery: [],
      downstream_discovery: [{ workload_discovery: {} }],
      shared_with_upstream: true,
    }),
};

/** Records :authority as the original destination and the peer's SAN as io.istio.peer_principal. */
export const CONNECT_AUTHORITY = {
  name: 'connect_authority',
  config: () => typedStruct('type.googleapis.com/io.istio.http.connect_authority.Config', { enabled: true }),
};

/** Istio's standard metrics (HTTP and TCP). */
export const ISTIO_STATS = {
  httpName: 'istio.stats',
  tcpName: 'istio.stats',
  config: (reporter: string) => typedStruct('type.googleapis.com/stats.PluginConfig', { reporter }),
};

/** Peer metadata exchange on TCP chains. */
export const METADATA_EXCHANGE = {
  name: 'istio.metadata_exchange',
  config: () =>
    typedStruct('type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange', { enable_discovery: true }),
};
