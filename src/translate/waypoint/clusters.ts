import { pack, type TypeMap } from '../../envoy';
import type { IstioProtocol, OutboundClusterIR, ServiceIR, ServicePortIR, WaypointIR } from '../ir';
import { metadataExchange } from './istio-extensions';
import { byName, sdsSecret, seconds } from '../common';
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
import { applyLocalityWeighted } from './cluster-policy';
import * as names from '../names';
import type { Recipe } from '../recipe';
import { hasCluster, outboundServiceEntryCluster, serviceEntryCluster, usesEds } from './service-entry-clusters';
import { CONNECT_TIMEOUT_MS, edsClusterBytes, type EdsClusterParts } from './cluster-bytes';
import { connectOriginateBytes, fixedClusterBytes } from './cluster-bytes-fixed';

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];

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

/** What an EDS cluster is built from besides istiod's defaults: its recipe input. */
interface EdsInput {
  name: string;
  host: string;
  service: string;
  namespace: string;
  protocol?: IstioProtocol;
  /** An outbound backend reached over HTTP/2 whatever its port's protocol. */
  http2?: boolean;
  /** The chain (and subset) in `istio.subset`: util.go AddSubsetToMetadata, on inbound-vip clusters. */
  subset?: string;
}

function edsParts(i: EdsInput): EdsClusterParts {
  // One object of one shape, without spreads: the spliced path builds one per cluster.
  return {
    name: i.name,
    altStatName: names.altStatName(i.name),
    host: i.host,
    service: i.service,
    namespace: i.namespace,
    subset: i.subset || undefined,
    options: i.http2 ? http2Options() : upstreamProtocolOptions(i.protocol),
  };
}

/**
 * cluster_waypoint.go: buildWaypointInboundVIPCluster (and, for a backend
 * the waypoint does not own, the outbound cluster istiod builds the same
 * way): EDS, least-request, istiod's circuit breakers, no panic routing, the
 * service in `istio` metadata, and endpoints reached through connect_originate.
 */
function edsCluster(p: EdsClusterParts): Cluster {
  return {
    name: p.name,
    type: 'EDS',
    alt_stat_name: p.altStatName,
    eds_cluster_config: edsConfig(p.name),
    connect_timeout: seconds(CONNECT_TIMEOUT_MS),
    lb_policy: 'LEAST_REQUEST',
    common_lb_config: noPanicLbConfig(),
    circuit_breakers: defaultCircuitBreakers(),
    metadata: serviceMetadata(p.host, p.service, p.namespace, p.subset),
    ...(p.options ? { typed_extension_protocol_options: p.options } : {}),
    transport_socket: waypointInternalUpstream(),
  };
}

/**
 * The recipe of an EDS cluster with istiod's defaults: its bytes are spliced
 * (cluster-bytes.ts). A class rather than an object of closures: a waypoint
 * has one per service port, and a cold translation builds them all.
 */
class EdsRecipe implements Recipe<Cluster> {
  readonly name: string;

  constructor(readonly input: EdsInput) {
    this.name = input.name;
  }

  build(): Cluster {
    return edsCluster(edsParts(this.input));
  }

  encode(): Buffer {
    return edsClusterBytes(edsParts(this.input), edsCluster);
  }
}

/**
 * cluster_waypoint.go: buildWaypointConnectOriginate / buildConnectOriginate —
 * HBONE: HTTP/2 CONNECT over mutual TLS 1.3 to port 15008 of the original
 * destination (or of the address under `waypoint` in its metadata), only to
 * peers of the trust domain.
 */
function connectOriginate(trustDomain: string, namespace: string): Cluster {
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
      typed_config: pack(
        'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        connectTls(trustDomain, namespace),
      ),
    },
  };
}

/** connect_originate's TLS context (the only part of it that depends on the waypoint). */
function connectTls(
  trustDomain: string,
  namespace: string,
): TypeMap['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'] {
  const san = (prefix: string) => ({ san_type: 'URI' as const, matcher: { prefix } });
  return {
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
  };
}

const mainInternal = () => internalCluster(names.MAIN_INTERNAL, names.MAIN_INTERNAL);
const encap = () => internalCluster(names.ENCAP, names.CONNECT_ORIGINATE);

/**
 * A waypoint's clusters as recipes, in three parts (resources.ts prepares
 * each part's and sorts them by name): an unchanged input keeps its last
 * encoding (cluster_waypoint.go: buildWaypointInboundClusters). These are
 * the clusters of the waypoint itself.
 */
export function waypointClusterRecipes(ir: WaypointIR): Recipe<Cluster>[] {
  const { trustDomain, namespace } = ir;
  return [
    {
      name: names.MAIN_INTERNAL,
      input: null,
      build: mainInternal,
      encode: () => fixedClusterBytes(names.MAIN_INTERNAL, mainInternal),
    },
    { name: names.ENCAP, input: null, build: encap, encode: () => fixedClusterBytes(names.ENCAP, encap) },
    {
      name: names.CONNECT_ORIGINATE,
      input: { trustDomain, namespace },
      build: () => connectOriginate(trustDomain, namespace),
      encode: () =>
        connectOriginateBytes(() => connectOriginate(trustDomain, namespace), connectTls(trustDomain, namespace)),
    },
  ];
}

/** A served service's inbound-vip clusters and their subsets; they read nothing but `svc`. */
export function serviceClusterRecipes(svc: ServiceIR): Recipe<Cluster>[] {
  const out: Recipe<Cluster>[] = [];
  for (const p of svc.ports) {
    if (!hasCluster(svc, p)) continue;
    const d = p.destination;
    for (const proto of chainProtocols(p.protocol)) {
      const eds: EdsInput = {
        name: names.inboundVip(p.port, proto, svc.hostname),
        host: svc.hostname,
        service: svc.name,
        namespace: svc.namespace,
        protocol: p.istioProtocol,
        subset: proto,
      };
      // Only the clusters the ordinary encoder writes read this.
      const vipOf = () => ({
        svc: { host: svc.hostname, name: svc.name, namespace: svc.namespace },
        config: d?.config ?? '',
        subset: proto as string,
        ...(p.istioProtocol ? { protocol: p.istioProtocol } : {}),
        ...(d?.localityWeighted ? { localityWeighted: true } : {}),
      });
      // No rule's policy, yet locality-weighted (trafficDistribution, mesh config).
      const weighted = (d?.localityWeighted ?? p.localityWeighted) === true;
      const withWeighted = (c: Cluster): Cluster => {
        applyLocalityWeighted(c, weighted);
        return c;
      };
      if (!usesEds(svc)) {
        const vip = vipOf();
        const build = () => {
          const base = serviceEntryCluster(eds.name, svc, p, proto, d?.localityLb ?? p.localityLb);
          return d?.policy ? vipClusterWithPolicy(base, { ...vip, policy: d.policy }) : withWeighted(base);
        };
        out.push({ name: eds.name, input: [svc, p, proto], build });
      } else if (d?.policy) {
        // A DestinationRule's settings: the ordinary encoder, not the spliced bytes.
        const policy = d.policy;
        const vip = vipOf();
        out.push({
          name: eds.name,
          input: [eds, vip, policy],
          build: () => vipClusterWithPolicy(edsCluster(edsParts(eds)), { ...vip, policy }),
        });
      } else if (weighted)
        out.push({ name: eds.name, input: [eds, weighted], build: () => withWeighted(edsCluster(edsParts(eds))) });
      else out.push(new EdsRecipe(eds));
      // cluster_waypoint.go: buildWaypointInboundVIP — one more cluster per subset and chain.
      for (const s of d?.subsets ?? []) {
        const subVipOf = () => ({
          ...vipOf(),
          subset: `${proto}/${s.name}`,
          ...(s.policy ? { policy: s.policy } : {}),
          localityWeighted: s.localityWeighted === true,
        });
        if (!usesEds(svc)) {
          // A DNS, DYNAMIC_DNS or passthrough cluster of its own per subset, its endpoints (DNS) inline.
          const name = names.inboundVip(p.port, proto, svc.hostname, s.name);
          const subVip = subVipOf();
          const sp: ServicePortIR = { ...p, endpoints: s.endpoints };
          const build = () =>
            vipClusterWithPolicy(serviceEntryCluster(name, svc, sp, subVip.subset, s.localityLb), subVip);
          out.push({ name, input: [svc, p, proto, s], build });
          continue;
        }
        const sub: EdsInput = {
          ...eds,
          name: names.inboundVip(p.port, proto, svc.hostname, s.name),
          subset: undefined,
        };
        const subVip = subVipOf();
        out.push({
          name: sub.name,
          input: [sub, subVip],
          build: () => vipClusterWithPolicy(edsCluster(edsParts(sub)), subVip),
        });
      }
    }
  }
  return out;
}

/** An outbound cluster (a route backend or a provider's service the waypoint does not serve); it reads nothing but `o`. */
export function outboundClusterRecipe(o: OutboundClusterIR): Recipe<Cluster> {
  const [service = o.hostname, namespace = ''] = o.serviceEntry
    ? [o.hostname, o.serviceEntry.namespace]
    : o.hostname.split('.');
  const d = o.destination;
  // cluster.go: buildOutboundClusters — applyDestinationRule on the outbound cluster, as on inbound-vip ones.
  const withPolicy = (base: Cluster): Cluster => {
    if (!d) {
      // No rule, yet locality-weighted (trafficDistribution, mesh config); never a
      // dynamic forward proxy cluster (cluster_traffic_policy.go: applyLoadBalancer returns for it).
      const dfp = base.lb_policy === 'CLUSTER_PROVIDED' && base.type !== 'ORIGINAL_DST';
      applyLocalityWeighted(base, o.localityWeighted === true && !dfp);
      return base;
    }
    return vipClusterWithPolicy(base, {
      svc: { host: o.hostname, name: service, namespace },
      config: d.config,
      policy: d.policy,
      ...(d.localityWeighted ? { localityWeighted: true } : {}),
      ...(o.subset ? { subset: o.subset } : {}),
      ...(o.http2 ? { protocol: 'http2' as const } : o.protocol ? { protocol: o.protocol } : {}),
    });
  };
  const extras = outboundExtras(o);
  if (o.serviceEntry && o.serviceEntry.resolution !== 'STATIC') {
    // A DNS cluster's inline endpoints take the locality plan (cluster.go: buildOutboundClusters
    // wraps them, so failoverPriority ranks them too).
    const plan = d?.localityLb ?? o.localityLb;
    return {
      name: o.cluster,
      input: o,
      build: () => withOutboundExtras(withPolicy(outboundServiceEntryCluster(o, plan)), extras),
    };
  }
  const eds: EdsInput = {
    name: o.cluster,
    host: o.hostname,
    service,
    namespace,
    protocol: o.protocol,
    http2: o.http2,
  };
  return {
    name: o.cluster,
    input: [eds, d ?? null, o.localityWeighted === true, extras],
    build: () => withOutboundExtras(withPolicy(edsCluster(edsParts(eds))), extras),
  };
}

/** What only outbound clusters carry, beside what inbound-vip ones share with them. */
interface OutboundExtras {
  /** `istio.disable_mx` (every endpoint takes HBONE) or `istio.external` (a mesh-external host); neither on subsets. */
  flag?: 'disable_mx' | 'external';
}

/**
 * cluster_builder.go: applyDestinationRule, on an outbound cluster of the
 * default mode: `disable_mx` when every endpoint of the port supports HBONE
 * (push_context.go: AllInstancesSupportHBONE — none at all does not count),
 * else `external` for a mesh-external host. buildSubsetCluster sets neither.
 */
function outboundExtras(o: OutboundClusterIR): OutboundExtras {
  if (o.subset) return {};
  if (o.endpoints.length > 0 && o.endpoints.every((e) => e.inMesh)) return { flag: 'disable_mx' };
  if (o.serviceEntry?.meshExternal) return { flag: 'external' };
  return {};
}

/**
 * The outbound cluster's peer metadata exchange filter (cluster_builder.go:
 * applyMetadataExchange with PILOT_ENABLE_METADATA_EXCHANGE on, its default;
 * the same filter config as TCP chains carry) and its `istio` flag.
 */
function withOutboundExtras(c: Cluster, extras: OutboundExtras): Cluster {
  c.filters = [...(c.filters ?? []), metadataExchange()];
  if (!extras.flag) return c;
  const fm = c.metadata?.filter_metadata ?? {};
  const istio = fm[names.ISTIO_METADATA];
  // A new metadata object: the one c holds may be shared by other clusters (serviceMetadata).
  c.metadata = {
    ...c.metadata,
    filter_metadata: {
      ...fm,
      [names.ISTIO_METADATA]: { fields: { ...istio?.fields, [extras.flag]: { boolValue: true } } },
    },
  };
  return c;
}

/** Every cluster of a waypoint as recipes, sorted by name. */
export function clusterRecipes(ir: WaypointIR): Recipe<Cluster>[] {
  return [
    ...waypointClusterRecipes(ir),
    ...ir.services.flatMap(serviceClusterRecipes),
    ...ir.outbound.map(outboundClusterRecipe),
  ].sort(byName);
}

/** Every cluster of a waypoint as a message, sorted by name. */
export function buildClusters(ir: WaypointIR): Cluster[] {
  return clusterRecipes(ir).map((r) => r.build());
}

/** Ports with no declared protocol get both chains and are sniffed. */
export function chainProtocols(p: 'http' | 'tcp' | 'sniff'): names.ChainProtocol[] {
  return p === 'sniff' ? ['http', 'tcp'] : [p];
}
