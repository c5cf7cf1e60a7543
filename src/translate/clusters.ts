import { pack, type TypeMap } from '../envoy';
import type { IstioProtocol, WaypointIR } from './ir';
import { sdsSecret, seconds } from './common';
import {
  defaultCircuitBreakers,
  defaultInternalUpstream,
  edsConfig,
  h2ConnectOptions,
  http2Options,
  noPanicLbConfig,
  passthroughHttpOptions,
  serviceMetadata,
  upstreamProtocolOptions,
  waypointInternalUpstream,
} from './cluster-defaults';
import { vipClusterWithPolicy } from './cluster-vip';
import * as names from './names';
import { hasCluster, outboundServiceEntryCluster, serviceEntryCluster, usesEds } from './service-entry-clusters';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];

/** mesh.go: DefaultMeshConfig — connectTimeout 10s. */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * cluster_waypoint.go: buildInternalUpstreamCluster — a STATIC cluster whose
 * one endpoint is an internal listener, reached over internal_upstream, with
 * the downstream's HTTP version passed through.
 */
function internalCluster(name: string, listener: string): Cluster {
  return {
    name,
    type: 'STATIC',
    alt_stat_name: names.altStatName(name),
    load_assignment: {
      cluster_name: name,
      endpoints: [
        { lb_endpoints: [{ endpoint: { address: { envoy_internal_address: { server_listener_name: listener } } } }] },
      ],
    },
    circuit_breakers: defaultCircuitBreakers(),
    typed_extension_protocol_options: passthroughHttpOptions(),
    transport_socket: defaultInternalUpstream(),
  };
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIPCluster (and, for a backend
 * the waypoint does not own, the outbound cluster istiod builds the same
 * way): EDS, least-request, istiod's circuit breakers, no panic routing, the
 * service in `istio` metadata, and endpoints reached through connect_originate.
 */
function edsCluster(
  name: string,
  svc: { host: string; name: string; namespace: string },
  protocol?: IstioProtocol,
  subset = '',
): Cluster {
  const options = upstreamProtocolOptions(protocol);
  return {
    name,
    type: 'EDS',
    alt_stat_name: names.altStatName(name),
    eds_cluster_config: edsConfig(name),
    connect_timeout: seconds(CONNECT_TIMEOUT_MS),
    lb_policy: 'LEAST_REQUEST',
    common_lb_config: noPanicLbConfig(),
    circuit_breakers: defaultCircuitBreakers(),
    metadata: serviceMetadata(svc.host, svc.name, svc.namespace, subset),
    ...(options ? { typed_extension_protocol_options: options } : {}),
    transport_socket: waypointInternalUpstream(),
  };
}

/**
 * cluster_waypoint.go: buildWaypointConnectOriginate / buildConnectOriginate —
 * HBONE: HTTP/2 CONNECT over mutual TLS 1.3 to port 15008 of the original
 * destination (or of the address under `waypoint` in its metadata), only to
 * peers of the trust domain.
 */
function connectOriginate(trustDomain: string, namespace: string): Cluster {
  const san = (prefix: string) => ({ san_type: 'URI' as const, matcher: { prefix } });
  return {
    name: names.CONNECT_ORIGINATE,
    type: 'ORIGINAL_DST',
    alt_stat_name: names.altStatName(names.CONNECT_ORIGINATE),
    lb_policy: 'CLUSTER_PROVIDED',
    connect_timeout: seconds(CONNECT_TIMEOUT_MS),
    cleanup_interval: seconds(60_000),
    circuit_breakers: defaultCircuitBreakers(),
    original_dst_lb_config: {
      upstream_port_override: { value: names.HBONE_PORT },
      metadata_key: { key: names.ORIGINAL_DST_METADATA, path: [{ key: names.WAYPOINT_METADATA_KEY }] },
    },
    typed_extension_protocol_options: h2ConnectOptions(),
    transport_socket: {
      name: 'tls',
      typed_config: pack('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_3' },
          alpn_protocols: ['h2'],
          tls_certificate_sds_secret_configs: [sdsSecret('default')],
          combined_validation_context: {
            // buildCommonConnectTLSContext adds the trust domain;
            // buildWaypointConnectOriginate the waypoint's namespace.
            default_validation_context: {
              match_typed_subject_alt_names: [
                san(`${names.SPIFFE_SCHEME}${trustDomain}/`),
                san(`${names.SPIFFE_SCHEME}${trustDomain}/ns/${namespace}/sa/`),
              ],
            },
            validation_context_sds_secret_config: sdsSecret('ROOTCA'),
          },
        },
      }),
    },
  };
}

/** Every cluster of a waypoint, sorted by name (cluster_waypoint.go: buildWaypointInboundClusters). */
export function buildClusters(ir: WaypointIR): Cluster[] {
  const out: Cluster[] = [
    internalCluster(names.MAIN_INTERNAL, names.MAIN_INTERNAL),
    internalCluster(names.ENCAP, names.CONNECT_ORIGINATE),
    connectOriginate(ir.trustDomain, ir.namespace),
  ];
  for (const svc of ir.services) {
    const meta = { host: svc.hostname, name: svc.name, namespace: svc.namespace };
    for (const p of svc.ports) {
      if (!hasCluster(svc, p)) continue;
      const d = p.destination;
      for (const proto of chainProtocols(p.protocol)) {
        const name = names.inboundVip(p.port, proto, svc.hostname);
        const base = usesEds(svc)
          ? edsCluster(name, meta, p.istioProtocol, proto)
          : serviceEntryCluster(name, svc, p, proto);
        const vip = {
          svc: meta,
          config: d?.config ?? '',
          subset: proto as string,
          ...(p.istioProtocol ? { protocol: p.istioProtocol } : {}),
        };
        out.push(d?.policy ? vipClusterWithPolicy(base, { ...vip, policy: d.policy }) : base);
        // cluster_waypoint.go: buildWaypointInboundVIP — one more cluster per subset and chain.
        for (const s of d?.subsets ?? []) {
          const name = names.inboundVip(p.port, proto, svc.hostname, s.name);
          const sub = { ...vip, subset: `${proto}/${s.name}`, ...(s.policy ? { policy: s.policy } : {}) };
          out.push(vipClusterWithPolicy(edsCluster(name, meta, p.istioProtocol), sub));
        }
      }
    }
  }
  for (const o of ir.outbound) {
    if (o.serviceEntry && o.serviceEntry.resolution !== 'STATIC') {
      out.push(outboundServiceEntryCluster(o));
      continue;
    }
    const [name = o.hostname, namespace = ''] = o.serviceEntry
      ? [o.hostname, o.serviceEntry.namespace]
      : o.hostname.split('.');
    const c = edsCluster(o.cluster, { host: o.hostname, name, namespace }, o.protocol);
    out.push(o.http2 ? { ...c, typed_extension_protocol_options: http2Options() } : c);
  }
  return out.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1));
}

/** Ports with no declared protocol get both chains and are sniffed. */
export function chainProtocols(p: 'http' | 'tcp' | 'sniff'): names.ChainProtocol[] {
  return p === 'sniff' ? ['http', 'tcp'] : [p];
}
