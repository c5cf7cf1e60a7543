import { Counter, Gauge, Histogram, Registry } from 'prom-client';

// Every metric the xDS side exports, under the names Istio users already
// query (pilot_*). One registry per server so tests can run several.
export class XdsMetrics {
  readonly registry = new Registry();

  readonly connected = new Gauge({
    name: 'pilot_xds',
    help: "Number of identified xDS streams, by the proxy's Istio version (ISTIO_VERSION metadata).",
    labelNames: ['version'] as const,
    registers: [this.registry],
  });

  readonly pushes = new Counter({
    name: 'pilot_xds_pushes',
    help: 'xDS responses sent, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly rejects = new Counter({
    name: 'pilot_total_xds_rejects',
    help: 'Responses rejected (NACKed) by proxies, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly staleNonces = new Counter({
    name: 'pilot_xds_expired_nonce',
    help: 'Requests carrying a nonce older than the last one sent, by type.',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  readonly internalErrors = new Counter({
    name: 'pilot_total_xds_internal_errors',
    help: "Requests that failed with an error of ours rather than the client's.",
    registers: [this.registry],
  });

  readonly convergence = new Histogram({
    name: 'pilot_proxy_convergence_time',
    help: 'Seconds from a configuration change to the proxy acknowledging it.',
    buckets: [0.1, 0.5, 1, 3, 5, 10, 20, 30],
    registers: [this.registry],
  });

  readonly pushTime = new Histogram({
    name: 'pilot_xds_push_time',
    help: 'Seconds from the start of a push or request to its response being written, by type.',
    labelNames: ['type'] as const,
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 3, 5, 10, 20, 30],
    registers: [this.registry],
  });

  readonly logsSuppressed = new Counter({
    name: 'istiod_lite_xds_log_lines_suppressed',
    help: 'Log lines about client behaviour dropped by the per-client and per-reason rate limits, by reason.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });

  readonly refused = new Counter({
    name: 'istiod_lite_xds_requests_refused',
    help: 'Streams and requests refused for breaking a limit, by limit.',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  readonly configSize = new Histogram({
    name: 'pilot_xds_config_size_bytes',
    help: 'Size in bytes of the resources in one xDS response, by type.',
    labelNames: ['type'] as const,
    buckets: [1, 10_000, 1_000_000, 4_000_000, 10_000_000, 40_000_000],
    registers: [this.registry],
  });
}
