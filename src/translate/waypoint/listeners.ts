import { encodeTail, pack, packWithTail, shareEncoding, type EncodedTail, type TypeMap } from '../../envoy';
import type {
  AccessLogIR,
  ChainPolicyIR,
  ServiceEntryResolution,
  ServiceIR,
  ServicePortIR,
  TcpProxyIR,
  TcpRouteIR,
  WaypointIR,
} from '../ir';
import { tcpProxySettings } from './hash-policy';
import { ADS, sdsSecret } from '../common';
import { accessLogs } from './accesslog';
import { httpFilters, networkFilters, sniDfpFilter } from './chain-filters';
import { chainProtocols } from './clusters';
import { isWildcardHost } from './service-entries';
import { connectAuthority, directConnectAuthority, downstreamPeerMetadata } from './istio-extensions';
import { chainMatcher, type ChainSelector, type VipTarget } from './matcher';
import { mainInternalFilters, originalDstFilter } from './listener-filters';
import * as names from '../names';
import { fromInput, type Recipe } from '../recipe';
import { derive } from '../derived';
import { defaultTracing, telemetryRequestId, telemetryTracing, type ProxyTags } from './hcm-defaults';
import { isHttp2 } from '../services';

type Listener = TypeMap['envoy.config.listener.v3.Listener'];
type FilterChain = TypeMap['envoy.config.listener.v3.FilterChain'];

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** What the HBONE listeners log: the waypoint-wide access logs, and the listener's own unless disabled. */
interface ConnectInput {
  logs: readonly AccessLogIR[];
  own: readonly AccessLogIR[];
}

/**
 * Terminates HBONE: mTLS on 15008, HTTP/2 CONNECT handed to main_internal.
 * The waypoint-wide access logs log error statuses on its HCM and unmatched
 * connections on the listener (listener_waypoint.go:
 * buildHCMConnectTerminateChain, buildConnectTerminateListener).
 */
function connectTerminate({ trustDomain, logs, own }: ConnectInput & { trustDomain: string }): Listener {
  return {
    name: names.CONNECT_TERMINATE,
    ...listenerLogs(own),
    address: { socket_address: { address: '0.0.0.0', port_value: names.HBONE_PORT } },
    connection_balance_config: { exact_balance: {} },
    filter_chains: [
      {
        name: 'default',
        transport_socket: {
          name: 'tls',
          typed_config: pack('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', {
            require_client_certificate: { value: true },
            common_tls_context: {
              tls_params: { tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_3' },
              alpn_protocols: ['h2'],
              tls_certificate_sds_secret_configs: [sdsSecret('default')],
              // Only peers of our trust domain may open tunnels.
              combined_validation_context: {
                default_validation_context: {
                  match_typed_subject_alt_names: [
                    { san_type: 'URI', matcher: { prefix: `${names.SPIFFE_SCHEME}${trustDomain}/` } },
                  ],
                },
                validation_context_sds_secret_config: sdsSecret('ROOTCA'),
              },
            },
          }),
        },
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: pack(HCM, {
              stat_prefix: names.CONNECT_TERMINATE,
              http2_protocol_options: {
                allow_connect: true,
                max_concurrent_streams: { value: 100 },
                connection_keepalive: { interval: { seconds: 10 }, timeout: { seconds: 20 } },
              },
              upgrade_configs: [{ upgrade_type: 'CONNECT' }],
              stream_idle_timeout: { seconds: 0 },
              server_name: 'istio-envoy',
              forward_client_cert_details: 'APPEND_FORWARD',
              set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
              ...(logs.length > 0 ? { access_log: accessLogs(logs, 'error-status') } : {}),
              route_config: {
                name: 'default',
                virtual_hosts: [
                  {
                    name: 'default',
                    domains: ['*'],
                    routes: [
                      {
                        match: { connect_matcher: {} },
                        route: {
                          cluster: names.MAIN_INTERNAL,
                          upgrade_configs: [{ upgrade_type: 'CONNECT', connect_config: {} }],
                        },
                      },
                    ],
                  },
                ],
              },
              http_filters: [
                downstreamPeerMetadata(),
                connectAuthority(),
                {
                  name: 'envoy.filters.http.router',
                  typed_config: pack('envoy.extensions.filters.http.router.v3.Router', {}),
                },
              ],
            }),
          },
        ],
      },
    ],
  };
}

/**
 * listener_waypoint.go: buildConnectOriginateListener — opens HBONE tunnels.
 * original_dst takes the destination from the endpoint metadata the
 * inbound-vip cluster passed through, and the connect_originate cluster
 * dials it; the listener itself must not redirect (use_original_dst false).
 */
function connectOriginate({ logs, own }: ConnectInput): Listener {
  return {
    name: names.CONNECT_ORIGINATE,
    ...listenerLogs(own),
    use_original_dst: { value: false },
    internal_listener: {},
    listener_filters: [originalDstFilter()],
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.tcp_proxy',
            typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
              stat_prefix: names.CONNECT_ORIGINATE,
              cluster: names.CONNECT_ORIGINATE,
              tunneling_config: { hostname: '%DOWNSTREAM_LOCAL_ADDRESS%' },
              // accesslog.go: setHboneOriginationAccessLog — only failures to connect.
              ...(logs.length > 0 ? { access_log: accessLogs(logs, 'upstream-failure') } : {}),
            }),
          },
        ],
      },
    ],
  };
}

/** accesslog.go: setListenerAccessLog — skipped when the mesh config disables listener logs. */
const ownLogs = (ir: WaypointIR): readonly AccessLogIR[] => (ir.disableListenerLog ? [] : ir.direct.accessLogs);

/** accesslog.go: setListenerAccessLog — a listener logs only connections no chain took. */
function listenerLogs(logs: readonly AccessLogIR[]): Pick<Listener, 'access_log'> {
  return logs.length > 0 ? { access_log: accessLogs(logs, 'no-route') } : {};
}

interface ChainArgs {
  name: string;
  policy: ChainPolicyIR;
  trustDomain: string;
  /** Service port; 0 for the direct (workload-addressed) chains. */
  port: number;
  /** The waypoint, as its tracing tags name it. */
  proxy: ProxyTags;
  /** The port speaks HTTP/2 (grpc, grpc-web, http2). */
  http2?: boolean;
  /** A wildcard ServiceEntry host's DNS cache (dynamic forward proxy). */
  dnsCache?: string;
  /** Resolve by SNI before the tcp_proxy (a wildcard DYNAMIC_DNS host's TCP chain). */
  sniDfp?: boolean;
}

const isDirect = (a: ChainArgs) => a.port === 0;

/** The waypoint's own tracing tags (tracing.go: buildServiceTags; its deployment is named after the Gateway). */
function proxyTags(ir: WaypointIR): ProxyTags {
  return { canonicalService: ir.name, namespace: ir.namespace, clusterId: ir.clusterId, meshId: ir.trustDomain };
}

/**
 * What a chain's HttpConnectionManager is built from after its first three
 * fields (codec_type, stat_prefix, rds): not the chain's name or port.
 */
interface HcmTailInput {
  policy: ChainPolicyIR;
  trustDomain: string;
  /** The port speaks HTTP/2 (grpc, grpc-web, http2). */
  http2: boolean;
  proxy: ProxyTags;
  dnsCache: string | undefined;
}

/** The trust domain and tracing tags a chain is built with, as a memo key. */
const tagsKey = (td: string, p: ProxyTags) => `${td}|${p.namespace}|${p.canonicalService}|${p.clusterId}|${p.meshId}`;

// The tail is encoded once per policy and the other fields of its input, and
// shared by every chain with that policy.
const HCM_TAIL_MEMO = new WeakMap<ChainPolicyIR, Map<string, EncodedTail<typeof HCM>>>();

function hcmTail(i: HcmTailInput): EncodedTail<typeof HCM> {
  let byRest = HCM_TAIL_MEMO.get(i.policy);
  if (!byRest) HCM_TAIL_MEMO.set(i.policy, (byRest = new Map()));
  const p = i.proxy;
  const key = `${tagsKey(i.trustDomain, p)}|${i.http2}|${i.dnsCache ?? ''}`;
  let tail = byRest.get(key);
  if (!tail) byRest.set(key, (tail = encodeHcmTail(i)));
  return tail;
}

/**
 * listener_builder.go: buildHTTPConnectionManager with the default mesh
 * config (path normalization DEFAULT: normalize, keep slashes and escapes),
 * plus listener_waypoint.go: buildWaypointInboundHTTPFilters (HTTP/2 options
 * on HTTP/2 ports).
 */
function encodeHcmTail({ policy, trustDomain, http2, proxy, dnsCache }: HcmTailInput): EncodedTail<typeof HCM> {
  return encodeTail(HCM, {
    http_filters: [...httpFilters(policy, trustDomain, dnsCache)],
    tracing: policy.tracing ? telemetryTracing(policy.tracing, proxy) : defaultTracing(proxy),
    ...(http2 ? { http2_protocol_options: {} } : {}),
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    stream_idle_timeout: { seconds: 0 },
    server_name: 'istio-envoy',
    proxy_100_continue: true,
    access_log: accessLogs(policy.accessLogs),
    use_remote_address: { value: false },
    normalize_path: { value: true },
    request_id_extension: telemetryRequestId(policy.tracing),
    path_with_escaped_slashes_action: 'KEEP_UNCHANGED',
  });
}

function httpChain(a: ChainArgs): FilterChain {
  return {
    name: a.name,
    filters: [
      ...(isDirect(a) ? [directConnectAuthority()] : []),
      {
        name: 'envoy.filters.network.http_connection_manager',
        typed_config: packWithTail(
          HCM,
          {
            stat_prefix: `inbound_0.0.0.0_${a.port};`,
            codec_type: 'AUTO',
            rds: { config_source: ADS, route_config_name: a.name },
          },
          hcmTail({
            policy: a.policy,
            trustDomain: a.trustDomain,
            http2: a.http2 === true,
            proxy: a.proxy,
            dnsCache: a.dnsCache,
          }),
        ),
      },
    ],
  };
}

function tcpProxy(
  statPrefix: string,
  cluster: string,
  routes: readonly TcpRouteIR[],
  logs: ChainPolicyIR['accessLogs'],
  settings?: TcpProxyIR,
) {
  const backends = routes[0]?.backends ?? [];
  const target =
    backends.length > 1
      ? { weighted_clusters: { clusters: backends.map((b) => ({ name: b.cluster, weight: b.weight })) } }
      : { cluster: backends[0]?.cluster ?? cluster };
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: pack('envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy', {
      stat_prefix: statPrefix,
      ...target,
      access_log: accessLogs(logs),
      ...(settings ? tcpProxySettings(settings) : {}),
    }),
  };
}

function tcpChain(a: ChainArgs, cluster: string, routes: readonly TcpRouteIR[], settings?: TcpProxyIR): FilterChain {
  const ctx = { kind: 'tcp' as const, statPrefix: a.name, policy: a.policy, trustDomain: a.trustDomain };
  return {
    name: a.name,
    filters: [
      ...(isDirect(a) ? [directConnectAuthority()] : []),
      ...networkFilters(ctx),
      ...(a.sniDfp && a.dnsCache ? [sniDfpFilter(a.dnsCache, a.port)] : []),
      tcpProxy(isDirect(a) ? names.ENCAP : a.name, cluster, routes, a.policy.accessLogs, settings),
    ],
  };
}

/** The chains of one service port and how the matcher selects them. */
function portChains(
  svc: MainInternalService,
  p: MainInternalPort,
  td: string,
  proxy: ProxyTags,
): { chains: FilterChain[]; select: ChainSelector } {
  const chains: FilterChain[] = [];
  const select: ChainSelector = {};
  // listener_builder.go / listener_waypoint.go: a wildcard host resolves
  // per request (HTTP, any resolution) or per SNI (TCP, DYNAMIC_DNS only).
  const wildcard = svc.serviceEntry !== undefined && isWildcardHost(svc.hostname);
  const dnsCache = wildcard ? { dnsCache: names.dnsCacheName(svc.hostname) } : {};
  const sniDfp = wildcard && svc.serviceEntry?.resolution === 'DYNAMIC_DNS';
  for (const proto of chainProtocols(p.protocol)) {
    const name = names.inboundVip(p.port, proto, svc.hostname);
    if (proto === 'http') {
      chains.push(
        httpChain({
          name,
          policy: p.policy,
          trustDomain: td,
          port: p.port,
          proxy,
          http2: isHttp2(p.istioProtocol),
          ...dnsCache,
        }),
      );
      select.http = name;
    } else {
      const args = { name, policy: p.policy, trustDomain: td, port: p.port, proxy, ...dnsCache, sniDfp };
      chains.push(tcpChain(args, name, p.tcpRoutes, p.tcpProxy));
      select.tcp = name;
    }
  }
  return { chains, select };
}

/** What main_internal reads of a service port: not its endpoints, HTTP routes or DestinationRule. */
type MainInternalPort = Pick<
  ServicePortIR,
  'port' | 'protocol' | 'istioProtocol' | 'policy' | 'tcpRoutes' | 'tcpProxy'
>;

/** What main_internal reads of a served service. */
interface MainInternalService {
  hostname: string;
  vips: readonly string[];
  /** Set for a ServiceEntry host (a wildcard one resolves per request or SNI). */
  serviceEntry?: { resolution: ServiceEntryResolution };
  ports: readonly MainInternalPort[];
}

/**
 * Everything main_internal is built from: its build takes this and nothing
 * else, so an unchanged input may reuse the previous encoding.
 */
interface MainInternalInput {
  trustDomain: string;
  proxy: ProxyTags;
  direct: ChainPolicyIR;
  ownLogs: readonly AccessLogIR[];
  workloadIps: readonly string[];
  services: readonly MainInternalService[];
}

// One object per served service's part of the IR: a part an edit did not
// rebuild passes the same one again, so its chains below are not made again.
const mainInternalService = derive((s: ServiceIR): MainInternalService => ({
  hostname: s.hostname,
  vips: s.vips,
  ...(s.serviceEntry ? { serviceEntry: { resolution: s.serviceEntry.resolution } } : {}),
  ports: s.ports.map((p) => ({
    port: p.port,
    protocol: p.protocol,
    istioProtocol: p.istioProtocol,
    policy: p.policy,
    tcpRoutes: p.tcpRoutes,
    ...(p.tcpProxy ? { tcpProxy: p.tcpProxy } : {}),
  })),
}));

function mainInternalInput(ir: WaypointIR): MainInternalInput {
  return {
    trustDomain: ir.trustDomain,
    proxy: proxyTags(ir),
    direct: ir.direct,
    ownLogs: ownLogs(ir),
    workloadIps: ir.workloadIps,
    services: ir.services.map(mainInternalService),
  };
}

/** One service's filter chains and how the matcher selects them, per port. */
interface ServiceChains {
  chains: readonly FilterChain[];
  ports: ReadonlyMap<number, ChainSelector>;
}

// A service's chains for the trust domain and tags they were made with. The
// chains are shared with the encoder (shareEncoding): main_internal holds
// every chain of the waypoint and is encoded again whenever any changes, and
// an unchanged service's chains are then copied as bytes, not encoded again.
const SERVICE_CHAINS = new WeakMap<MainInternalService, Map<string, ServiceChains>>();

function serviceChains(svc: MainInternalService, td: string, proxy: ProxyTags): ServiceChains {
  let byKey = SERVICE_CHAINS.get(svc);
  if (!byKey) SERVICE_CHAINS.set(svc, (byKey = new Map()));
  const key = tagsKey(td, proxy);
  let made = byKey.get(key);
  if (!made) {
    const chains: FilterChain[] = [];
    const ports = new Map<number, ChainSelector>();
    for (const p of svc.ports) {
      const { chains: cs, select } = portChains(svc, p, td, proxy);
      for (const c of cs) chains.push(shareEncoding(c));
      ports.set(p.port, select);
    }
    byKey.set(key, (made = { chains, ports }));
  }
  return made;
}

function mainInternal(input: MainInternalInput): Listener {
  const chains: FilterChain[] = [];
  const targets: VipTarget[] = [];
  const { proxy, trustDomain, direct } = input;
  for (const svc of input.services) {
    const { chains: cs, ports } = serviceChains(svc, trustDomain, proxy);
    chains.push(...cs);
    targets.push({ vips: svc.vips, ports });
  }
  chains.push(httpChain({ name: names.DIRECT_HTTP, policy: direct, trustDomain, port: 0, proxy }));
  chains.push(tcpChain({ name: names.DIRECT_TCP, policy: direct, trustDomain, port: 0, proxy }, names.ENCAP, []));
  return {
    name: names.MAIN_INTERNAL,
    ...listenerLogs(input.ownLogs),
    internal_listener: {},
    listener_filters: mainInternalFilters(input),
    traffic_direction: 'INBOUND',
    filter_chains: chains.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : 1)),
    filter_chain_matcher: chainMatcher(targets, input.workloadIps, { http: names.DIRECT_HTTP, tcp: names.DIRECT_TCP }),
  };
}

export function listenerRecipes(ir: WaypointIR): Recipe<Listener>[] {
  const logs = { logs: ir.direct.accessLogs, own: ownLogs(ir) };
  return [
    fromInput(names.CONNECT_ORIGINATE, logs, connectOriginate),
    fromInput(names.CONNECT_TERMINATE, { ...logs, trustDomain: ir.trustDomain }, connectTerminate),
    fromInput(names.MAIN_INTERNAL, mainInternalInput(ir), mainInternal),
  ];
}
