import { pack, type TypeMap } from '../../envoy';
import type { OutboundClusterIR, ServiceIR, ServicePortIR } from '../ir';
import { seconds } from '../common';
import {
  defaultCircuitBreakers,
  noPanicLbConfig,
  serviceMetadata,
  upstreamProtocolOptions,
  waypointInternalUpstream,
} from './cluster-defaults';
import { assignment } from './endpoints';
import type { LocalityLbIR } from './locality-lb';
import * as names from '../names';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];

/** mesh.go: DefaultMeshConfig — connectTimeout 10s, dnsRefreshRate 60s. */
const CONNECT_TIMEOUT_MS = 10_000;
const DNS_REFRESH_MS = 60_000;
/** features: PILOT_DNS_CARES_UDP_MAX_QUERIES default. */
const CARES_UDP_MAX_QUERIES = 100;
/**
 * util.go: SelectDNSLookupFamily — the waypoint's own addresses pick the
 * family; the translator does not know them, and istiod's answer with none or
 * only IPv4 ones is V4_ONLY.
 */
const DNS_LOOKUP_FAMILY = 'V4_ONLY';

/** Whether a ServiceEntry host's port clusters are EDS (STATIC resolution), so they get an assignment. */
export function usesEds(svc: ServiceIR): boolean {
  return !svc.serviceEntry || svc.serviceEntry.resolution === 'STATIC';
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIP — a DYNAMIC_DNS host gets
 * clusters only for HTTP ports, and TLS ones when the listener serves them.
 */
export function hasCluster(svc: ServiceIR, p: ServicePortIR): boolean {
  if (svc.serviceEntry?.resolution !== 'DYNAMIC_DNS') return true;
  return p.istioProtocol === 'http' || p.istioProtocol === 'tls';
}

function common(name: string, svc: ServiceIR, p: ServicePortIR): Cluster {
  const options = upstreamProtocolOptions(p.istioProtocol);
  return {
    name,
    alt_stat_name: names.altStatName(name),
    connect_timeout: seconds(CONNECT_TIMEOUT_MS),
    circuit_breakers: defaultCircuitBreakers(),
    metadata: serviceMetadata(svc.hostname, svc.name, svc.namespace),
    ...(options ? { typed_extension_protocol_options: options } : {}),
    transport_socket: waypointInternalUpstream(),
  };
}

/**
 * cluster.go: convertResolution and cluster_builder.go: buildCluster — DNS
 * is STRICT_DNS (LOGICAL_DNS resolving every family under the
 * RACE_FIRST_TCP_CONNECT strategy), DNS_ROUND_ROBIN is LOGICAL_DNS, both with
 * the c-ares resolver, the mesh's refresh rate, the record's TTL respected and
 * the endpoints inline. LOGICAL_DNS takes one endpoint, the first
 * (serviceentry/conversion.go: mergeServicesInstancesByNamespaceHost keeps
 * one for DNS_ROUND_ROBIN; Envoy refuses more under the race strategy too).
 */
function dnsCluster(name: string, svc: ServiceIR, p: ServicePortIR, plan?: LocalityLbIR): Cluster {
  const se = svc.serviceEntry;
  const logical = se?.resolution === 'DNS_ROUND_ROBIN' || se?.raceFirstConnect === true;
  const endpoints = logical ? p.endpoints.slice(0, 1) : p.endpoints;
  return {
    ...common(name, svc, p),
    type: logical ? 'LOGICAL_DNS' : 'STRICT_DNS',
    lb_policy: 'LEAST_REQUEST',
    common_lb_config: noPanicLbConfig(),
    dns_lookup_family: se?.raceFirstConnect ? 'ALL' : DNS_LOOKUP_FAMILY,
    typed_dns_resolver_config: {
      name: names.CARES_DNS_RESOLVER,
      typed_config: pack('envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig', {
        udp_max_queries: { value: CARES_UDP_MAX_QUERIES },
      }),
    },
    dns_refresh_rate: seconds(DNS_REFRESH_MS),
    respect_dns_ttl: true,
    load_assignment: assignment(name, endpoints, plan),
  };
}

/**
 * cluster_builder.go: buildDFPCluster — a dynamic forward proxy cluster
 * resolving the host from the request (Host header or SNI) through a DNS
 * cache named after the ServiceEntry host, shared with the chain's filter.
 */
function dfpCluster(name: string, svc: ServiceIR, p: ServicePortIR): Cluster {
  return {
    ...common(name, svc, p),
    lb_policy: 'CLUSTER_PROVIDED',
    cluster_type: {
      name: names.DFP_CLUSTER,
      typed_config: pack('envoy.extensions.clusters.dynamic_forward_proxy.v3.ClusterConfig', {
        dns_cache_config: { name: names.dnsCacheName(svc.hostname), dns_lookup_family: DNS_LOOKUP_FAMILY },
      }),
    },
  };
}

/**
 * cluster.go: convertResolution (NONE is ORIGINAL_DST on a waypoint) —
 * connect to the address the client dialled, on the port's targetPort when
 * it has one (PassthroughTargetPorts).
 */
function passthroughCluster(name: string, svc: ServiceIR, p: ServicePortIR): Cluster {
  const override = svc.serviceEntry?.targetPorts[p.port];
  return {
    ...common(name, svc, p),
    type: 'ORIGINAL_DST',
    lb_policy: 'CLUSTER_PROVIDED',
    ...(override !== undefined ? { original_dst_lb_config: { upstream_port_override: { value: override } } } : {}),
  };
}

/**
 * The cluster of one chain (or chain and subset) of a ServiceEntry host that
 * is not EDS, with the chain as `istio.subset` as on every inbound-vip cluster
 * (cluster_waypoint.go), and a DNS cluster's endpoints shaped by the
 * waypoint's locality (`plan`; cluster_traffic_policy.go: applyLoadBalancer
 * applies it to the cluster's own load assignment).
 */
export function serviceEntryCluster(
  name: string,
  svc: ServiceIR,
  p: ServicePortIR,
  subset: string,
  plan?: LocalityLbIR,
): Cluster {
  return {
    ...byResolution(name, svc, p, plan),
    metadata: serviceMetadata(svc.hostname, svc.name, svc.namespace, subset),
  };
}

function byResolution(name: string, svc: ServiceIR, p: ServicePortIR, plan?: LocalityLbIR): Cluster {
  switch (svc.serviceEntry?.resolution) {
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      return dnsCluster(name, svc, p, plan);
    case 'DYNAMIC_DNS':
      return dfpCluster(name, svc, p);
    default:
      return passthroughCluster(name, svc, p);
  }
}

/**
 * The `outbound|<port>|<subset>|<host>` cluster of a ServiceEntry host another
 * waypoint serves (or none), typed by the entry's resolution
 * (cluster.go: buildOutboundClusters → convertResolution, buildCluster;
 * cluster_builder.go: buildDFPCluster) and shaped as the entry's own
 * waypoint would build its cluster, as for Service backends (clusters.ts);
 * a DNS cluster's inline endpoints shaped by `plan`.
 */
export function outboundServiceEntryCluster(o: OutboundClusterIR, plan?: LocalityLbIR): Cluster {
  const se = o.serviceEntry;
  const svc: ServiceIR = {
    hostname: o.hostname,
    namespace: se?.namespace ?? '',
    name: o.hostname,
    vips: [],
    ports: [],
    ...(se
      ? {
          serviceEntry: {
            resolution: se.resolution,
            raceFirstConnect: se.raceFirstConnect,
            targetPorts: se.targetPorts,
          },
        }
      : {}),
  };
  const empty = { authz: [], jwt: [], accessLogs: [] };
  const port: ServicePortIR = {
    port: o.port,
    name: '',
    protocol: 'tcp',
    // An ext_authz or access-log gRPC service is reached over HTTP/2, as Service backends are (clusters.ts).
    istioProtocol: o.http2 ? 'http2' : (o.protocol ?? 'unsupported'),
    endpoints: o.endpoints,
    httpRoutes: [],
    tcpRoutes: [],
    policy: empty,
  };
  return byResolution(o.cluster, svc, port, plan);
}
