import { pack, type TypeMap } from '../envoy';
import type { WaypointIR } from './ir';
import { ADS, once, sdsSecret, seconds } from './common';
import * as names from './names';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];

/** A STATIC cluster whose one endpoint is an internal listener. */
function internalCluster(name: string, listener: string): Cluster {
  return {
    name,
    type: 'STATIC',
    connect_timeout: seconds(10_000),
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: listener } } } }] },
      ],
    },
  };
}

/**
 * Carries the original-destination metadata of an endpoint into the internal
 * connection, so connect_originate learns which pod to tunnel to. The same
 * for every EDS cluster, so packed once.
 */
const internalUpstream = once((): Cluster['transport_socket'] => {
  return {
    name: 'internal_upstream',
    typed_config: pack('envoy.extensions.transport_sockets.internal_upstream.v3.InternalUpstreamTransport', {
      passthrough_metadata: [
        { kind: { host: {} }, name: names.ORIGINAL_DST_METADATA },
        { kind: { host: {} }, name: names.ISTIO_METADATA },
      ],
      transport_socket: {
        name: 'raw_buffer',
        typed_config: pack('envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer', {}),
      },
    }),
  };
});

function edsCluster(name: string): Cluster {
  return {
    name,
    type: 'EDS',
    eds_cluster_config: { eds_config: ADS },
    connect_timeout: seconds(10_000),
    lb_policy: 'ROUND_ROBIN',
    common_lb_config: {},
    transport_socket: internalUpstream(),
  };
}

function http2Options(): Cluster['typed_extension_protocol_options'] {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': pack(
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      {
        explicit_http_config: { http2_protocol_options: {} },
      },
    ),
  };
}

/** HBONE: HTTP/2 CONNECT over mutual TLS to the destination's port 15008. */
function connectOriginate(): Cluster {
  return {
    name: names.CONNECT_ORIGINATE,
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: seconds(10_000),
    original_dst_lb_config: { upstream_port_override: { value: names.HBONE_PORT } },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': pack(
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
        {
          common_http_protocol_options: { idle_timeout: seconds(3_600_000) },
          explicit_http_config: { http2_protocol_options: {} },
        },
      ),
    },
    transport_socket: {
      name: 'tls',
      typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_3' },
          alpn_protocols: ['h2'],
          tls_certificate_sds_secret_configs: [sdsSecret('default')],
          validation_context_sds_secret_config: sdsSecret('ROOTCA'),
        },
      }),
    },
  };
}

/** Every cluster of a waypoint, sorted by name. */
export function buildClusters(ir: WaypointIR): Cluster[] {
  const out: Cluster[] = [
    internalCluster(names.MAIN_INTERNAL, names.MAIN_INTERNAL),
    internalCluster(names.ENCAP, names.CONNECT_ORIGINATE),
    connectOriginate(),
  ];
  for (const svc of ir.services) {
    for (const p of svc.ports) {
      for (const proto of chainProtocols(p.protocol))
        out.push(edsCluster(names.inboundVip(p.port, proto, svc.hostname)));
    }
  }
  for (const o of ir.outbound) {
    out.push(
      o.http2 ? { ...edsCluster(o.cluster), typed_extension_protocol_options: http2Options() } : edsCluster(o.cluster),
    );
  }
  return out.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
}

/** Ports with no declared protocol get both chains and are sniffed. */
export function chainProtocols(p: 'http' | 'tcp' | 'sniff'): names.ChainProtocol[] {
  return p === 'sniff' ? ['http', 'tcp'] : [p];
}
