// The shape of a DestinationRule (Istio 1.30 CRD) as far as we read it. A
// value Envoy would refuse (a duration under 1ms, a percentage over 100) is
// refused here, naming the field, so the rule never reaches a cluster.
import { bool, int, list, obj, oneOf, parsed, rule, str, strList, strMap, type Check } from './checks';
import { parseIstioDuration } from './values';

const duration = parsed(parseIstioDuration);
/** A cookie TTL of zero is meaningful (a session cookie), so zero passes. */
const ttl: Check = (v, p, errs) => {
  if (typeof v === 'string' && /^0+(\.0+)?(h|m|s|ms|us|µs|ns)?$/.test(v)) return;
  duration(v, p, errs);
};
const u32 = int(0, 4_294_967_295);
const i32 = int(-2_147_483_648, 2_147_483_647);
/** A uint64 in protobuf JSON: a number or its decimal string. */
const u64: Check = (v, p, errs) => {
  if (typeof v === 'string' ? !/^\d{1,20}$/.test(v) : !Number.isInteger(v) || (v as number) < 0)
    errs.push(`${p}: must be a non-negative integer`);
};
const percent: Check = (v, p, errs) => {
  if (typeof v !== 'number' || v < 0 || v > 100) errs.push(`${p}: must be a number in [0, 100]`);
};
const positive: Check = (v, p, errs) => {
  if (typeof v !== 'number' || !(v > 0)) errs.push(`${p}: must be a number greater than 0`);
};

export const clientTls = obj({
  mode: oneOf('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
  clientCertificate: str,
  privateKey: str,
  caCertificates: str,
  credentialName: str,
  subjectAltNames: strList,
  sni: str,
  insecureSkipVerify: bool,
  caCrl: str,
});

// networking/v1alpha3/destination_rule.proto: exactly one hash key; validation.go:
// validateLoadBalancer refuses a cookie without a name.
const consistentHash: Check = (v, p, errs) => {
  obj({
    httpHeaderName: str,
    httpCookie: obj({ name: str, path: str, ttl, attributes: list(obj({ name: str, value: str }, ['name'])) }, [
      'name',
    ]),
    useSourceIp: bool,
    httpQueryParameterName: str,
    ringHash: obj({ minimumRingSize: u64 }),
    maglev: obj({ tableSize: u64 }),
    minimumRingSize: u64,
  })(v, p, errs);
  const o = v as Record<string, unknown>;
  const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter((k) => o[k] != null);
  if (keys.length > 1) errs.push(`${p}: only one of ${keys.join(', ')} may be set`);
  if (o.ringHash != null && o.maglev != null) errs.push(`${p}: only one of ringHash, maglev may be set`);
};

const localityLbSetting = obj({
  distribute: list(
    obj({
      from: str,
      to: rule((o) =>
        Object.entries(o)
          .filter(([, w]) => !Number.isInteger(w))
          .map(([k]) => [k, 'must be an integer weight']),
      ),
    }),
  ),
  failover: list(obj({ from: str, to: str })),
  failoverPriority: strList,
  enabled: bool,
});

const loadBalancer: Check = (v, p, errs) => {
  obj({
    simple: oneOf('UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'),
    consistentHash,
    localityLbSetting,
    warmupDurationSecs: duration,
    warmup: obj({ duration, minimumPercent: percent, aggression: positive }, ['duration']),
  })(v, p, errs);
  const o = v as Record<string, unknown>;
  if (o.simple != null && o.consistentHash != null) errs.push(`${p}: only one of simple, consistentHash may be set`);
};

const connectionPool = obj({
  tcp: obj({
    maxConnections: i32,
    connectTimeout: duration,
    tcpKeepalive: obj({ probes: u32, time: duration, interval: duration }),
    maxConnectionDuration: duration,
    idleTimeout: duration,
  }),
  http: obj({
    http1MaxPendingRequests: i32,
    http2MaxRequests: i32,
    maxRequestsPerConnection: i32,
    maxRetries: i32,
    idleTimeout: duration,
    h2UpgradePolicy: oneOf('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
    useClientProtocol: bool,
    maxConcurrentStreams: i32,
    // validation.go: validateConnectionPool requires both.
    http2KeepAlive: obj({ interval: duration, timeout: duration }, ['interval', 'timeout']),
  }),
});

const outlierDetection = obj({
  splitExternalLocalOriginErrors: bool,
  consecutiveLocalOriginFailures: u32,
  consecutiveGatewayErrors: u32,
  consecutive5xxErrors: u32,
  interval: duration,
  baseEjectionTime: duration,
  maxEjectionPercent: int(0, 100),
  minHealthPercent: int(0, 100),
});

const portPolicy = obj({
  port: obj({ number: int(0, 4294967295) }),
  loadBalancer,
  connectionPool,
  outlierDetection,
  tls: clientTls,
});

const trafficPolicyFields = {
  loadBalancer,
  connectionPool,
  outlierDetection,
  tls: clientTls,
  portLevelSettings: list(portPolicy),
  tunnel: obj({ protocol: oneOf('CONNECT', 'POST'), targetHost: str, targetPort: u32 }, ['targetHost', 'targetPort']),
  proxyProtocol: obj({ version: oneOf('V1', 'V2') }),
  retryBudget: obj({ percent, minRetryConcurrency: u32 }),
};
export const trafficPolicy = obj(trafficPolicyFields);

export const destinationRuleSpec = obj(
  {
    host: str,
    subsets: list(obj({ name: str, labels: strMap, trafficPolicy }, ['name'])),
    workloadSelector: obj({ matchLabels: strMap }),
    trafficPolicy,
    exportTo: strList,
  },
  ['host'],
);
