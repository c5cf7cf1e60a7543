import type { ClientTLSSettings } from './istio';

// DestinationRule traffic policy (networking.istio.io TrafficPolicy), as far
// as a waypoint's clusters and routes read it. Durations stay strings as
// written (`1.5s`, `1h`); numbers are JSON numbers or, for the 64-bit ones,
// the decimal strings protobuf JSON also allows.

export interface ConsistentHashLB {
  httpHeaderName?: string;
  httpCookie?: { name: string; path?: string; ttl?: string; attributes?: { name: string; value?: string }[] };
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  ringHash?: { minimumRingSize?: number | string };
  maglev?: { tableSize?: number | string };
  minimumRingSize?: number | string;
}

export interface LocalityLbSetting {
  distribute?: { from?: string; to?: Record<string, number> }[];
  failover?: { from?: string; to?: string }[];
  failoverPriority?: string[];
  enabled?: boolean;
}

export interface LoadBalancerSettings {
  simple?: 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';
  consistentHash?: ConsistentHashLB;
  localityLbSetting?: LocalityLbSetting;
  /** Only its presence is read: a waypoint balances without locality under it (locality-lb.ts). */
  zoneAwareLbSetting?: Record<string, unknown>;
  warmupDurationSecs?: string;
  warmup?: { duration: string; minimumPercent?: number; aggression?: number };
}

export interface ConnectionPoolSettings {
  tcp?: {
    maxConnections?: number;
    connectTimeout?: string;
    tcpKeepalive?: { probes?: number; time?: string; interval?: string };
    maxConnectionDuration?: string;
    idleTimeout?: string;
  };
  http?: {
    http1MaxPendingRequests?: number;
    http2MaxRequests?: number;
    maxRequestsPerConnection?: number;
    maxRetries?: number;
    idleTimeout?: string;
    h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
    useClientProtocol?: boolean;
    maxConcurrentStreams?: number;
    /** HTTP/2 PING keepalive of upstream connections; both fields required. */
    http2KeepAlive?: { interval?: string; timeout?: string };
  };
}

export interface OutlierDetection {
  splitExternalLocalOriginErrors?: boolean;
  consecutiveLocalOriginFailures?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export interface RetryBudget {
  percent?: number;
  minRetryConcurrency?: number;
  /** Only set by XBackendTrafficPolicy (DestinationRule has no such field). */
  budgetInterval?: string;
}

export interface PortTrafficPolicy {
  port?: { number?: number };
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
  tunnel?: { protocol?: string; targetHost: string; targetPort: number };
  proxyProtocol?: { version?: 'V1' | 'V2' };
  retryBudget?: RetryBudget;
}
