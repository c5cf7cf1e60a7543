import { pack, type TypeMap } from '../../envoy';
import type { LoadBalancerSettings, OutlierDetection, TrafficPolicy } from '../../model';
import { parseIstioDuration } from '../../model/values';
import {
  retryBudgetMinConcurrency,
  retryBudgetPercent,
  warmupAggression,
  warmupMinimumPercent,
} from '../../model/defaults';
import type { IstioProtocol } from '../ir';
import { seconds } from '../common';

// A DestinationRule's traffic policy on one waypoint VIP cluster, step by
// step as cluster_waypoint.go: buildWaypointInboundVIPCluster applies it:
// connection pool, HTTP/2 upgrade, outlier detection, load balancer. The
// transport socket (TLS, PROXY) is cluster-tls.ts.

type Cluster = TypeMap['envoy.config.cluster.v3.Cluster'];
type Thresholds = TypeMap['envoy.config.cluster.v3.CircuitBreakers.Thresholds'];
type HttpOptions = TypeMap['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
type Duration = TypeMap['google.protobuf.Duration'];

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const MAX_UINT32 = 4_294_967_295;

/** A duration as written in a (validated) rule. */
export function duration(text: string): Duration {
  const r = parseIstioDuration(text);
  // Validated durations are whole milliseconds; rounding drops float noise.
  return seconds(r.ok ? Math.round(r.value) : 0);
}

const wholeSeconds = (text: string) => duration(text).seconds as number;

/** The parts of a cluster the policy steps build up before it is assembled (cluster_builder.go: clusterWrapper). */
export interface Wrapper {
  cluster: Cluster;
  /** Set once any step needs HTTP protocol options; packed when the cluster is built. */
  http?: HttpOptions;
}

/** istio protocol.Instance.IsHTTP. */
export function isHttpProtocol(p: IstioProtocol | undefined): boolean {
  return p === 'http' || p === 'http2' || p === 'grpc' || p === 'grpc-web' || p === 'http_proxy';
}

/** cluster_builder.go: setUpstreamProtocol — where a waypoint VIP cluster's HTTP options start. */
export function initialHttpOptions(p: IstioProtocol | undefined): HttpOptions | undefined {
  if (p === 'http2' || p === 'grpc' || p === 'grpc-web')
    return { explicit_http_config: { http2_protocol_options: {} } };
  if (p === 'unsupported')
    return { use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } };
  return undefined;
}

/**
 * cluster_traffic_policy.go: applyRetryBudget — Envoy's retry budget, with
 * istiod's defaults (20%, 3). istiod also sets budget_interval (from an
 * XBackendTrafficPolicy); the Envoy API we build against has no such field,
 * so the interval is not sent (Envoy's own window applies).
 */
function retryBudget(t: Thresholds, rb: TrafficPolicy['retryBudget']): void {
  if (!rb) return;
  t.retry_budget = {
    budget_percent: { value: retryBudgetPercent(rb) },
    min_retry_concurrency: { value: retryBudgetMinConcurrency(rb) },
  };
}

/**
 * cluster_traffic_policy.go: applyConnectionPool — circuit-breaker limits
 * over istiod's never-tripping defaults (a zero means "unset"), connect
 * timeout, TCP keepalive (cluster.go: applyTCPKeepalive, whole seconds) and
 * the connection lifetimes, which live in the HTTP protocol options even
 * for TCP clusters; on an HTTP/2 cluster, its stream limit and
 * `http2KeepAlive` (connection_keepalive).
 */
export function applyConnectionPool(w: Wrapper, policy: TrafficPolicy | undefined, connectTimeoutMs: number): void {
  const cp = policy?.connectionPool ?? {};
  const t: Thresholds = {
    max_connections: { value: MAX_UINT32 },
    max_pending_requests: { value: MAX_UINT32 },
    max_requests: { value: MAX_UINT32 },
    max_retries: { value: MAX_UINT32 },
    track_remaining: true,
  };
  retryBudget(t, policy?.retryBudget);
  const h = cp.http;
  let idle: string | undefined;
  if (h) {
    if ((h.http2MaxRequests ?? 0) > 0) t.max_requests = { value: h.http2MaxRequests };
    if ((h.http1MaxPendingRequests ?? 0) > 0) t.max_pending_requests = { value: h.http1MaxPendingRequests };
    if ((h.maxRetries ?? 0) > 0) t.max_retries = { value: h.maxRetries };
    idle = h.idleTimeout;
  }
  const maxPerConnection = h?.maxRequestsPerConnection ?? 0;
  const maxStreams = h?.maxConcurrentStreams ?? 0;
  const keepalive = h?.http2KeepAlive;
  w.cluster.connect_timeout = seconds(connectTimeoutMs);
  let maxDuration: string | undefined;
  const tcp = cp.tcp;
  if (tcp) {
    if (tcp.connectTimeout) w.cluster.connect_timeout = duration(tcp.connectTimeout);
    if ((tcp.maxConnections ?? 0) > 0) t.max_connections = { value: tcp.maxConnections };
    maxDuration = tcp.maxConnectionDuration;
    idle ??= tcp.idleTimeout;
    const ka = tcp.tcpKeepalive;
    if (ka) {
      w.cluster.upstream_connection_options = {
        tcp_keepalive: {
          ...((ka.probes ?? 0) > 0 ? { keepalive_probes: { value: ka.probes } } : {}),
          ...(ka.time ? { keepalive_time: { value: wholeSeconds(ka.time) } } : {}),
          ...(ka.interval ? { keepalive_interval: { value: wholeSeconds(ka.interval) } } : {}),
        },
      };
    }
  }
  w.cluster.circuit_breakers = { thresholds: [t] };
  if (maxDuration || idle || maxPerConnection > 0 || maxStreams > 0 || keepalive) {
    const o = (w.http ??= {});
    o.common_http_protocol_options = {
      ...o.common_http_protocol_options,
      ...(idle ? { idle_timeout: duration(idle) } : {}),
      ...(maxPerConnection > 0 ? { max_requests_per_connection: { value: maxPerConnection } } : {}),
      ...(maxDuration ? { max_connection_duration: duration(maxDuration) } : {}),
    };
    const h2 = o.explicit_http_config?.http2_protocol_options;
    if (h2 && maxStreams > 0) h2.max_concurrent_streams = { value: maxStreams };
    // Only on a cluster that already speaks HTTP/2, like max_concurrent_streams.
    if (h2 && keepalive)
      h2.connection_keepalive = {
        ...(keepalive.interval ? { interval: duration(keepalive.interval) } : {}),
        ...(keepalive.timeout ? { timeout: duration(keepalive.timeout) } : {}),
      };
  }
  if (h?.useClientProtocol) {
    const o = (w.http ??= {});
    const h1 = o.explicit_http_config?.http_protocol_options ?? {};
    delete o.explicit_http_config;
    o.use_downstream_protocol_config = { http_protocol_options: h1, http2_protocol_options: {} };
  }
}

/**
 * cluster_traffic_policy.go: applyH2Upgrade / shouldH2Upgrade — the rule's
 * h2UpgradePolicy decides (UPGRADE even on a port not declared HTTP); else
 * the mesh default, DO_NOT_UPGRADE. Upstream options already set stay.
 */
export function applyH2Upgrade(w: Wrapper, policy: TrafficPolicy | undefined): void {
  const h = policy?.connectionPool?.http;
  if (!h || h.useClientProtocol || h.h2UpgradePolicy !== 'UPGRADE') return;
  const o = (w.http ??= {});
  if (!o.explicit_http_config && !o.use_downstream_protocol_config && !o.auto_config)
    o.explicit_http_config = { http2_protocol_options: {} };
}

/**
 * cluster_traffic_policy.go: applyOutlierDetection — consecutive errors
 * enforced at 100%, success-rate ejection off, and the panic threshold set
 * to minHealthPercent.
 */
export function applyOutlierDetection(c: Cluster, o: OutlierDetection | undefined): void {
  if (!o) return;
  const out: NonNullable<Cluster['outlier_detection']> = { enforcing_success_rate: { value: 0 } };
  if (o.consecutive5xxErrors !== undefined) {
    out.consecutive_5xx = { value: o.consecutive5xxErrors };
    out.enforcing_consecutive_5xx = { value: o.consecutive5xxErrors > 0 ? 100 : 0 };
  }
  if (o.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = { value: o.consecutiveGatewayErrors };
    out.enforcing_consecutive_gateway_failure = { value: o.consecutiveGatewayErrors > 0 ? 100 : 0 };
  }
  if (o.interval) out.interval = duration(o.interval);
  if (o.baseEjectionTime) out.base_ejection_time = duration(o.baseEjectionTime);
  if ((o.maxEjectionPercent ?? 0) > 0) out.max_ejection_percent = { value: o.maxEjectionPercent };
  if (o.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if ((o.consecutiveLocalOriginFailures ?? 0) > 0) {
      out.consecutive_local_origin_failure = { value: o.consecutiveLocalOriginFailures };
      out.enforcing_consecutive_local_origin_failure = { value: 100 };
    }
    out.enforcing_local_origin_success_rate = { value: 0 };
  }
  c.outlier_detection = out;
  c.common_lb_config = { ...c.common_lb_config, healthy_panic_threshold: { value: o.minHealthPercent ?? 0 } };
}

type SlowStart = TypeMap['envoy.config.cluster.v3.Cluster.SlowStartConfig'];

/** cluster_traffic_policy.go: setWarmup / setSlowStartConfig. */
function slowStart(lb: LoadBalancerSettings | undefined): SlowStart | undefined {
  if (lb?.warmup)
    return {
      slow_start_window: duration(lb.warmup.duration),
      // The runtime key is one Envoy never has: the value is fixed.
      aggression: { default_value: warmupAggression(lb.warmup), runtime_key: '(' },
      min_weight_percent: { value: warmupMinimumPercent(lb.warmup) },
    };
  if (lb?.warmupDurationSecs) return { slow_start_window: duration(lb.warmupDurationSecs) };
  return undefined;
}

const u64 = (v: number | string | undefined) => String(v ?? 0);

/** locality-lb.ts: localityWeighted decided it (loadbalancer.go: LocalityLBSettings.ApplyToCluster). */
export function applyLocalityWeighted(c: Cluster, on: boolean): void {
  if (on) c.common_lb_config = { ...c.common_lb_config, locality_weighted_lb_config: {} };
}

/**
 * cluster_traffic_policy.go: applyLoadBalancer, ApplyRingHashLoadBalancer —
 * the simple policy (LEAST_REQUEST by default, LEAST_CONN read as it),
 * warmup, consistent hash as RING_HASH (minimum ring 1024 unless given) or
 * MAGLEV, PASSTHROUGH as an ORIGINAL_DST cluster; and, from the locality
 * settings (loadbalancer.go: LocalityLBSettings.ApplyToCluster), locality-
 * weighted balancing when `localityWeighted` says so.
 */
export function applyLoadBalancer(c: Cluster, lb: LoadBalancerSettings | undefined, localityWeighted = false): void {
  // A dynamic forward proxy cluster keeps its own balancing; an original-destination one only takes the locality config.
  if (c.lb_policy === 'CLUSTER_PROVIDED' && c.type !== 'ORIGINAL_DST') return;
  applyLocalityWeighted(c, localityWeighted);
  if (c.type === 'ORIGINAL_DST') {
    c.lb_policy = 'CLUSTER_PROVIDED';
    return;
  }
  delete c.least_request_lb_config;
  const warm = slowStart(lb);
  switch (lb?.simple) {
    case 'RANDOM':
      c.lb_policy = 'RANDOM';
      break;
    case 'ROUND_ROBIN':
      c.lb_policy = 'ROUND_ROBIN';
      if (warm) c.round_robin_lb_config = { slow_start_config: warm };
      break;
    case 'PASSTHROUGH':
      c.lb_policy = 'CLUSTER_PROVIDED';
      c.type = 'ORIGINAL_DST';
      delete c.eds_cluster_config;
      delete c.load_assignment;
      break;
    default:
      c.lb_policy = 'LEAST_REQUEST';
      if (warm) c.least_request_lb_config = { slow_start_config: warm };
  }
  const ch = lb?.consistentHash;
  if (!ch) return;
  delete c.least_request_lb_config;
  delete c.round_robin_lb_config;
  if (ch.maglev) {
    c.lb_policy = 'MAGLEV';
    if (u64(ch.maglev.tableSize) !== '0') c.maglev_lb_config = { table_size: { value: u64(ch.maglev.tableSize) } };
  } else if (ch.ringHash) {
    c.lb_policy = 'RING_HASH';
    if (u64(ch.ringHash.minimumRingSize) !== '0')
      c.ring_hash_lb_config = { minimum_ring_size: { value: u64(ch.ringHash.minimumRingSize) } };
  } else {
    c.lb_policy = 'RING_HASH';
    const min = u64(ch.minimumRingSize);
    c.ring_hash_lb_config = { minimum_ring_size: { value: min === '0' ? '1024' : min } };
  }
}

/** cluster_builder.go: clusterWrapper.build — HTTP options without an upstream protocol get HTTP/1.1. */
export function packHttpOptions(w: Wrapper): Cluster {
  const o = w.http;
  if (!o) return w.cluster;
  if (!o.explicit_http_config && !o.use_downstream_protocol_config && !o.auto_config)
    o.explicit_http_config = { http_protocol_options: {} };
  return { ...w.cluster, typed_extension_protocol_options: { [HTTP_OPTIONS]: pack(HTTP_OPTIONS, o) } };
}
