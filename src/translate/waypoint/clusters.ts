import { pack, type TypeMap } from '../../envoy';
import type { IstioProtocol, OutboundClusterIR, ServiceIR, ServicePortIR, SubsetIR, WaypointIR } from '../ir';
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
import { vipClusterWithPolicy, type VipPolicy } from './cluster-vip';
import { applyLocalityWeighted } from './cluster-policy';
import * as names from '../names';
import { fromInput, type Recipe } from '../recipe';
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

/** The encoding of an EDS cluster with istiod's defaults, spliced (cluster-bytes.ts). */
function edsBytes(i: EdsInput): Buffer {
  return edsClusterBytes(edsParts(i), edsCluster);
}

/** An EDS cluster with istiod's defaults as a message: what edsBytes encodes. */
function edsClusterOf(i: EdsInput): Cluster {
  return edsCluster(edsParts(i));
}

/**
 * cluster_waypoint.go: buildWaypointConnectOriginate / buildConnectOriginate —
 * HBONE: HTTP/2 CONNECT over mutual TLS 1.3 to port 15008 of the original
 * destination (or of the address under `waypoint` in its metadata), only to
 * peers of the trust domain.
 */
function connectOriginate({ trustDomain, namespace }: ConnectInput): Cluster {
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
        connectTls({ trustDomain, namespace }),
      ),
    },
  };
}

/** What connect_originate takes from the waypoint: its recipe input. */
interface ConnectInput {
  trustDomain: string;
  namespace: string;
}

/** connect_originate's TLS context (the only part of it that depends on the waypoint). */
function connectTls({
  trustDomain,
  namespace,
}: ConnectInput): TypeMap['envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'] {
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

const mainInternal = (): Cluster => internalCluster(names.MAIN_INTERNAL, names.MAIN_INTERNAL);
const encap = (): Cluster => internalCluster(names.ENCAP, names.CONNECT_ORIGINATE);
const mainInternalBytes = (): Buffer => fixedClusterBytes(names.MAIN_INTERNAL, mainInternal);
const encapBytes = (): Buffer => fixedClusterBytes(names.ENCAP, encap);
const connectOriginateEncoded = (i: ConnectInput): Buffer =>
  connectOriginateBytes(() => connectOriginate(i), connectTls(i));

/**
 * A waypoint's clusters as recipes, in three parts (resources.ts prepares
 * each part's and sorts them by name): an unchanged input keeps its last
 * encoding (cluster_waypoint.go: buildWaypointInboundClusters). These are
 * the clusters of the waypoint itself.
 */
export function waypointClusterRecipes(ir: WaypointIR): Recipe<Cluster>[] {
  const connect: ConnectInput = { trustDomain: ir.trustDomain, namespace: ir.namespace };
  return [
    fromInput(names.MAIN_INTERNAL, null, mainInternal, mainInternalBytes),
    fromInput(names.ENCAP, null, encap, encapBytes),
    fromInput(names.CONNECT_ORIGINATE, connect, connectOriginate, connectOriginateEncoded),
  ];
}

/** A ServiceEntry host's port cluster of one chain (DNS, DYNAMIC_DNS or passthrough): its recipe input. */
interface ServiceEntryPortInput {
  svc: ServiceIR;
  port: ServicePortIR;
  proto: names.ChainProtocol;
}

/** The same, for one subset of the port's DestinationRule: a cluster of its own, its endpoints (DNS) inline. */
interface ServiceEntrySubsetInput extends ServiceEntryPortInput {
  subset: SubsetIR;
}

/** An EDS cluster with a rule's settings, built by the ordinary encoder: its recipe input. */
interface EdsPolicyInput {
  eds: EdsInput;
  vip: VipPolicy;
}

/** An EDS cluster without a rule, yet locality-weighted: its recipe input. */
interface EdsWeightedInput {
  eds: EdsInput;
  weighted: boolean;
}

/** What an inbound-vip cluster's `istio` metadata and policy take from its service and port (and chain). */
function vipOf(svc: ServiceIR, p: ServicePortIR, proto: names.ChainProtocol): VipPolicy {
  const d = p.destination;
  return {
    svc: { host: svc.hostname, name: svc.name, namespace: svc.namespace },
    config: d?.config ?? '',
    subset: proto as string,
    ...(p.istioProtocol ? { protocol: p.istioProtocol } : {}),
    ...(d?.localityWeighted ? { localityWeighted: true } : {}),
  };
}

/** The same for one subset's cluster: its subset name, its own policy and locality weighting. */
function subsetVipOf(
  svc: ServiceIR,
  p: ServicePortIR,
  proto: names.ChainProtocol,
  s: SubsetIR,
): VipPolicy & { subset: string } {
  return {
    ...vipOf(svc, p, proto),
    subset: `${proto}/${s.name}`,
    ...(s.policy ? { policy: s.policy } : {}),
    localityWeighted: s.localityWeighted === true,
  };
}

/** No rule's policy, yet locality-weighted (trafficDistribution, mesh config). */
function withWeighted(c: Cluster, weighted: boolean): Cluster {
  applyLocalityWeighted(c, weighted);
  return c;
}

/** A port's locality weighting: its rule's, else the port's own. */
const portWeighted = (p: ServicePortIR): boolean => (p.destination?.localityWeighted ?? p.localityWeighted) === true;

/** A ServiceEntry host's cluster of one chain, with the rule's policy or else its locality weighting. */
function serviceEntryPortCluster({ svc, port: p, proto }: ServiceEntryPortInput, name: string): Cluster {
  const d = p.destination;
  const base = serviceEntryCluster(name, svc, p, proto, d?.localityLb ?? p.localityLb);
  return d?.policy
    ? vipClusterWithPolicy(base, { ...vipOf(svc, p, proto), policy: d.policy })
    : withWeighted(base, portWeighted(p));
}

/** A ServiceEntry host's cluster of one subset, with the subset's policy. */
function serviceEntrySubsetCluster({ svc, port: p, proto, subset: s }: ServiceEntrySubsetInput, name: string): Cluster {
  const subVip = subsetVipOf(svc, p, proto, s);
  const sp: ServicePortIR = { ...p, endpoints: s.endpoints };
  return vipClusterWithPolicy(serviceEntryCluster(name, svc, sp, subVip.subset, s.localityLb), subVip);
}

const edsPolicyCluster = ({ eds, vip }: EdsPolicyInput): Cluster => vipClusterWithPolicy(edsClusterOf(eds), vip);

const edsWeightedCluster = ({ eds, weighted }: EdsWeightedInput): Cluster => withWeighted(edsClusterOf(eds), weighted);

/** A served service's inbound-vip clusters and their subsets; they read nothing but `svc`. */
export function serviceClusterRecipes(svc: ServiceIR): Recipe<Cluster>[] {
  const out: Recipe<Cluster>[] = [];
  for (const p of svc.ports) {
    if (!hasCluster(svc, p)) continue;
    const d = p.destination;
    for (const proto of chainProtocols(p.protocol)) {
      const name = names.inboundVip(p.port, proto, svc.hostname);
      if (!usesEds(svc)) {
        out.push(fromInput(name, { svc, port: p, proto }, serviceEntryPortCluster));
        // cluster_waypoint.go: buildWaypointInboundVIP — one more cluster per subset and chain.
        for (const s of d?.subsets ?? [])
          out.push(
            fromInput(
              names.inboundVip(p.port, proto, svc.hostname, s.name),
              { svc, port: p, proto, subset: s },
              serviceEntrySubsetCluster,
            ),
          );
        continue;
      }
      const eds: EdsInput = {
        name,
        host: svc.hostname,
        service: svc.name,
        namespace: svc.namespace,
        protocol: p.istioProtocol,
        subset: proto,
      };
      const weighted = portWeighted(p);
      // A DestinationRule's settings: the ordinary encoder, not the spliced bytes.
      if (d?.policy)
        out.push(fromInput(name, { eds, vip: { ...vipOf(svc, p, proto), policy: d.policy } }, edsPolicyCluster));
      else if (weighted) out.push(fromInput(name, { eds, weighted }, edsWeightedCluster));
      else out.push(fromInput(name, eds, edsClusterOf, edsBytes));
      // cluster_waypoint.go: buildWaypointInboundVIP — one more cluster per subset and chain.
      for (const s of d?.subsets ?? []) {
        const sub: EdsInput = {
          ...eds,
          name: names.inboundVip(p.port, proto, svc.hostname, s.name),
          subset: undefined,
        };
        out.push(fromInput(sub.name, { eds: sub, vip: subsetVipOf(svc, p, proto, s) }, edsPolicyCluster));
      }
    }
  }
  return out;
}

/** What an outbound cluster's rule, subset and locality weighting are applied from. */
interface OutboundPolicyInput {
  eds: EdsInput;
  destination: OutboundClusterIR['destination'];
  localityWeighted: boolean;
  subset: string | undefined;
}

/** An outbound EDS cluster: its recipe input. */
interface OutboundEdsInput extends OutboundPolicyInput {
  extras: OutboundExtras;
}

/** The EDS cluster an outbound cluster starts from: its service and namespace from the host or its ServiceEntry. */
function outboundEds(o: OutboundClusterIR): EdsInput {
  const [service = o.hostname, namespace = ''] = o.serviceEntry
    ? [o.hostname, o.serviceEntry.namespace]
    : o.hostname.split('.');
  return { name: o.cluster, host: o.hostname, service, namespace, protocol: o.protocol, http2: o.http2 };
}

const outboundPolicyOf = (o: OutboundClusterIR, eds: EdsInput): OutboundPolicyInput => ({
  eds,
  destination: o.destination,
  localityWeighted: o.localityWeighted === true,
  subset: o.subset,
});

/** cluster.go: buildOutboundClusters — applyDestinationRule on the outbound cluster, as on inbound-vip ones. */
function withOutboundPolicy(
  base: Cluster,
  { eds, destination: d, localityWeighted, subset }: OutboundPolicyInput,
): Cluster {
  if (!d) {
    // No rule, yet locality-weighted (trafficDistribution, mesh config); never a
    // dynamic forward proxy cluster (cluster_traffic_policy.go: applyLoadBalancer returns for it).
    const dfp = base.lb_policy === 'CLUSTER_PROVIDED' && base.type !== 'ORIGINAL_DST';
    applyLocalityWeighted(base, localityWeighted && !dfp);
    return base;
  }
  return vipClusterWithPolicy(base, {
    svc: { host: eds.host, name: eds.service, namespace: eds.namespace },
    config: d.config,
    policy: d.policy,
    ...(d.localityWeighted ? { localityWeighted: true } : {}),
    ...(subset ? { subset } : {}),
    ...(eds.http2 ? { protocol: 'http2' as const } : eds.protocol ? { protocol: eds.protocol } : {}),
  });
}

/**
 * A ServiceEntry host's outbound cluster that is not EDS. Its DNS endpoints
 * are inline and take the locality plan (cluster.go: buildOutboundClusters
 * wraps them, so failoverPriority ranks them too).
 */
function outboundServiceEntryClusterOf(o: OutboundClusterIR): Cluster {
  const plan = o.destination?.localityLb ?? o.localityLb;
  const base = outboundServiceEntryCluster(o, plan);
  return withOutboundExtras(withOutboundPolicy(base, outboundPolicyOf(o, outboundEds(o))), outboundExtras(o));
}

const outboundEdsCluster = (i: OutboundEdsInput): Cluster =>
  withOutboundExtras(withOutboundPolicy(edsClusterOf(i.eds), i), i.extras);

/** An outbound cluster (a route backend or a provider's service the waypoint does not serve); it reads nothing but `o`. */
export function outboundClusterRecipe(o: OutboundClusterIR): Recipe<Cluster> {
  if (o.serviceEntry && o.serviceEntry.resolution !== 'STATIC')
    return fromInput(o.cluster, o, outboundServiceEntryClusterOf);
  const parts: OutboundEdsInput = { ...outboundPolicyOf(o, outboundEds(o)), extras: outboundExtras(o) };
  return fromInput(o.cluster, parts, outboundEdsCluster);
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
