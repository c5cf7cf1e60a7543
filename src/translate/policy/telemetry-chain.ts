// Turns the Telemetry in scope for one chain into its access logs, tracing
// and stats filters (telemetry.go: AccessLogging, Tracing, telemetryFilters;
// telemetry_logging.go: telemetryAccessLog; tracing.go:
// configureTracingFromTelemetry, configureFromProviderConfig).
import { providerEntryOutbound } from '../waypoint/outbound-service-entry';
import { type Service, readObject } from '../../model';
import { checkedValue, parseIstioDuration } from '../../model/values';
import type { WaypointContext } from '../context';
import type {
  AccessLogFormatIR,
  AccessLogIR,
  CustomTagIR,
  OutboundClusterIR,
  StatsFilterIR,
  TracerIR,
  TracingIR,
} from '../ir';
import * as names from '../names';
import { endpointIRs, istioProtocol } from '../services';
import { seconds } from '../common';
import type { TracingCustomTag } from '../../model';
import { findProvider, type MeshTelemetry, type ProxyTracing, type TelemetryProvider } from './telemetry-providers';
import { mergeLogs, mergeMetrics, mergeTracing, type ApplicableTelemetry } from './telemetry';

export interface ChainTelemetry {
  accessLogs: AccessLogIR[];
  tracing?: TracingIR;
  stats?: StatsFilterIR[];
}

export interface TelemetryInputs {
  mesh: MeshTelemetry;
  /** The mesh config's line format, for the built-in `envoy` provider and accessLogFile. */
  meshFormat: AccessLogFormatIR;
  /**
   * Outbound clusters the chains need, added to the waypoint's: each built
   * once per name, by the first chain that needs it (waypoint/service-reuse.ts:
   * OutboundClusters.ensure).
   */
  outbound: { ensure(cluster: string, build: () => OutboundClusterIR): void };
}

/**
 * telemetry_logging.go: LookupCluster — `<ns>/<host>` or a host unique in the
 * registry; the waypoint then needs the host's `outbound|<port>||<host>`
 * cluster. A Kubernetes Service hostname, else a ServiceEntry host
 * (outbound-service-entry.ts: providerEntryOutbound).
 */
export function lookupCluster(
  ctx: WaypointContext,
  inputs: TelemetryInputs,
  service: string,
  port: number,
  http2: boolean,
): { hostname: string; cluster: string } | undefined {
  const parts = service.split('/');
  const host = parts.length === 2 ? (parts[1] ?? '') : service;
  const suffix = `.svc.${ctx.opts.domain}`;
  if (!host.endsWith(suffix)) {
    // A ServiceEntry host. Looked up by every caller, so each records the entry's reads itself.
    const o = providerEntryOutbound(ctx, service, port);
    if (!o) return undefined;
    inputs.outbound.ensure(o.cluster, () => ({ ...o, http2 }));
    return { hostname: o.hostname, cluster: o.cluster };
  }
  const [name = '', ns = '', ...rest] = host.slice(0, -suffix.length).split('.');
  if (rest.length > 0 || (parts.length === 2 && parts[0] !== ns)) return undefined;
  const svc: Service | undefined = readObject(ctx, 'Service', ns, name);
  if (!svc) return undefined;
  const cluster = names.outbound(port, host);
  inputs.outbound.ensure(cluster, () => {
    const p = (svc.spec?.ports ?? []).find((x) => x.port === port);
    return {
      cluster,
      hostname: host,
      port,
      endpoints: p ? endpointIRs(svc, p, ctx, ctx.opts.clusterId) : [],
      http2,
      ...(p ? { protocol: istioProtocol(p) } : {}),
    };
  });
  return { hostname: host, cluster };
}

function fileFormat(p: Extract<TelemetryProvider, { kind: 'file' }>, meshFormat: AccessLogFormatIR): AccessLogFormatIR {
  // telemetryAccessLog: the built-in provider without its own format follows the mesh config.
  if (p.name === names.BUILTIN_ACCESS_LOG_PROVIDER && !p.format && !p.omitEmptyValues) return meshFormat;
  const f = p.format;
  // fileAccessLogFromTelemetry, buildFileAccessJSONLogFormat: no or empty labels mean Istio's fields.
  if (f?.kind === 'json')
    return Object.keys(f.fields).length > 0 ? f : { kind: 'json', fields: { ...names.ISTIO_JSON_LOG_FORMAT } };
  // fileAccessLogFormat: a newline is added; an empty text means Istio's line.
  const text = f?.text ?? '';
  return { kind: 'text', text: text === '' ? names.ISTIO_TEXT_LOG_FORMAT : text.endsWith('\n') ? text : `${text}\n` };
}

/** telemetry_logging.go: telemetryAccessLog — undefined for providers without an access log we can build. */
function accessLogOf(ctx: WaypointContext, inputs: TelemetryInputs, p: TelemetryProvider): AccessLogIR | undefined {
  if (p.kind === 'file') {
    const base = {
      kind: 'file' as const,
      path: p.path || names.ACCESS_LOG_STDOUT,
      format: fileFormat(p, inputs.meshFormat),
    };
    return p.omitEmptyValues ? { ...base, omitEmptyValues: true } : base;
  }
  if (p.kind === 'http-als' || p.kind === 'tcp-als') {
    const c = lookupCluster(ctx, inputs, p.service, p.port, true);
    if (!c) return undefined;
    const http = p.kind === 'http-als';
    return {
      kind: http ? 'http-grpc' : 'tcp-grpc',
      logName: p.logName ?? (http ? names.HTTP_ALS_LOG_NAME : names.TCP_ALS_LOG_NAME),
      cluster: c.cluster,
      authority: c.hostname,
      filterStateObjectsToLog:
        p.filterStateObjectsToLog.length > 0 ? p.filterStateObjectsToLog : [...names.ALS_FILTER_STATE_OBJECTS],
      additionalRequestHeadersToLog: http ? p.additionalRequestHeadersToLog : [],
      additionalResponseHeadersToLog: http ? p.additionalResponseHeadersToLog : [],
      additionalResponseTrailersToLog: http ? p.additionalResponseTrailersToLog : [],
    };
  }
  if (p.kind === 'otel-als') {
    // telemetry_logging.go: openTelemetryLog — Istio's line unless a text is
    // given; labels become string attributes sorted by name
    // (ConvertStructToAttributeKeyValues reads string values only).
    const c = lookupCluster(ctx, inputs, p.service, p.port, true);
    if (!c) return undefined;
    return {
      kind: 'otel',
      logName: p.logName ?? names.OTEL_ALS_LOG_NAME,
      cluster: c.cluster,
      authority: c.hostname,
      body: p.text !== '' ? p.text : names.ISTIO_TEXT_LOG_FORMAT,
      attributes: Object.keys(p.labels ?? {})
        .sort()
        .map((key) => {
          const v = p.labels?.[key];
          return { key, value: typeof v === 'string' ? v : '' };
        }),
    };
  }
  return undefined;
}

/**
 * accesslog.go: setHTTPAccessLog / setTCPAccessLog with telemetry.go:
 * AccessLogging — no Telemetry logging and no default provider (or none
 * buildable) falls back to the mesh config's accessLogFile; disabled
 * providers log nothing; the rest are sorted by provider name.
 */
function accessLogs(ctx: WaypointContext, inputs: TelemetryInputs, t: ApplicableTelemetry): AccessLogIR[] {
  const { mesh } = inputs;
  const legacy = (): AccessLogIR[] =>
    mesh.accessLogFile ? [{ kind: 'file', path: mesh.accessLogFile, format: inputs.meshFormat }] : [];
  if (t.logging.length === 0 && mesh.defaultProviders.accessLogging.length === 0) return legacy();
  const merged = mergeLogs(t.logging, mesh.defaultProviders.accessLogging);
  const built: { name: string; disabled: boolean; log: AccessLogIR }[] = [];
  for (const [name, spec] of merged) {
    const p = findProvider(mesh, name);
    const log = p && accessLogOf(ctx, inputs, p);
    if (!p || !log) continue;
    built.push({
      name: p.name,
      disabled: spec.disabled,
      log: spec.filter !== undefined ? { ...log, filter: spec.filter } : log,
    });
  }
  if (built.length === 0) return legacy();
  return built
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((b) => !b.disabled)
    .map((b) => b.log);
}

/** tracing.go: configureFromProviderConfig — undefined when the provider cannot trace or its service is unknown. */
function tracerOf(ctx: WaypointContext, inputs: TelemetryInputs, p: TelemetryProvider): TracerIR | undefined {
  // The node's cluster, which istio-agent sets to `<canonical name>.<namespace>`.
  const serviceCluster = `${ctx.waypoint.name}.${ctx.waypoint.namespace}`;
  const maxTag = (n: number) => (n > 0 ? { maxPathTagLength: n } : {});
  switch (p.kind) {
    case 'zipkin': {
      const c = lookupCluster(ctx, inputs, p.service, p.port, false);
      if (!c) return undefined;
      // zipkinConfig, legacy collector fields: the Envoy API we build against
      // has no collector_service (istiod uses those fields for proxies before 1.29).
      return {
        name: names.TRACER_ZIPKIN,
        type: 'envoy.config.trace.v3.ZipkinConfig',
        config: {
          collector_cluster: c.cluster,
          collector_endpoint: p.path || names.ZIPKIN_DEFAULT_ENDPOINT,
          trace_id_128bit: !p.enable64bitTraceId,
          shared_span_context: { value: false },
          collector_endpoint_version: 'HTTP_JSON',
          collector_hostname: c.hostname,
        },
        ...maxTag(p.maxTagLength),
      };
    }
    case 'datadog': {
      const c = lookupCluster(ctx, inputs, p.service, p.port, false);
      if (!c) return undefined;
      return {
        name: names.TRACER_DATADOG,
        type: 'envoy.config.trace.v3.DatadogConfig',
        config: { collector_cluster: c.cluster, service_name: serviceCluster, collector_hostname: c.hostname },
        ...maxTag(p.maxTagLength),
      };
    }
    case 'skywalking': {
      const c = lookupCluster(ctx, inputs, p.service, p.port, true);
      if (!c) return undefined;
      return {
        name: names.TRACER_SKYWALKING,
        type: 'envoy.config.trace.v3.SkyWalkingConfig',
        config: { grpc_service: { envoy_grpc: { cluster_name: c.cluster, authority: c.hostname } } },
        spawnUpstreamSpan: true,
      };
    }
    case 'opentelemetry': {
      // Envoy requires a timeout on an HTTP exporter's URI; istiod would send
      // none and have the listener rejected, so such a provider is unusable here.
      if (p.http && p.http.timeoutMs === undefined) return undefined;
      const c = lookupCluster(ctx, inputs, p.service, p.port, !p.http);
      if (!c) return undefined;
      const exporter = p.http
        ? {
            http_service: {
              http_uri: {
                uri: joinPath(c.hostname, p.http.path),
                cluster: c.cluster,
                timeout: seconds(p.http.timeoutMs ?? 0),
              },
              ...(p.http.headers.length > 0
                ? {
                    request_headers_to_add: p.http.headers.map((h) => ({
                      append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const,
                      header: { key: h.name, value: h.value },
                    })),
                  }
                : {}),
            },
          }
        : {
            grpc_service: {
              envoy_grpc: { cluster_name: c.cluster, authority: c.hostname },
              ...(p.grpc.timeoutMs !== undefined ? { timeout: seconds(p.grpc.timeoutMs) } : {}),
              ...(p.grpc.initialMetadata.length > 0
                ? { initial_metadata: p.grpc.initialMetadata.map((h) => ({ key: h.name, value: h.value })) }
                : {}),
            },
          };
      return {
        name: names.TRACER_OPENTELEMETRY,
        type: 'envoy.config.trace.v3.OpenTelemetryConfig',
        config: { ...exporter, service_name: serviceCluster },
        ...maxTag(p.maxTagLength),
      };
    }
    default:
      return undefined;
  }
}

/** Go's url.JoinPath on a bare host: one slash between, none doubled. */
function joinPath(host: string, path: string): string {
  const p = path.replace(/^\/+/, '');
  return p === '' ? host : `${host}/${p}`;
}

/** tracing.go: buildCustomTagsFromProvider, buildCustomTagsFromProxyConfig. */
function userTags(tags: Record<string, TracingCustomTag> | undefined): CustomTagIR[] {
  const out: CustomTagIR[] = [];
  for (const [tag, t] of Object.entries(tags ?? {})) {
    if ('literal' in t) out.push({ tag, literal: t.literal.value });
    else if ('header' in t)
      out.push({
        tag,
        header: t.header.name,
        ...(t.header.defaultValue ? { defaultValue: t.header.defaultValue } : {}),
      });
    else if ('environment' in t)
      out.push({
        tag,
        environment: t.environment.name,
        ...(t.environment.defaultValue ? { defaultValue: t.environment.defaultValue } : {}),
      });
  }
  return out;
}

/** tracing.go: proxyConfigSamplingValue — the proxy default, else PILOT_TRACE_SAMPLING; over 100 reads as 1. */
function proxySampling(p: ProxyTracing): number {
  const s = p.sampling ?? names.DEFAULT_TRACE_SAMPLING_PERCENT;
  return s > 100 ? 1 : s;
}

/**
 * tracing.go: configureTracingFromTelemetry — undefined leaves the default
 * tracing (no Telemetry and no proxy tracing defaults); `off` when tracing is
 * disabled, no provider is known, or the provider cannot be built.
 */
function tracing(ctx: WaypointContext, inputs: TelemetryInputs, t: ApplicableTelemetry): TracingIR | undefined {
  const { mesh } = inputs;
  const proxy = mesh.proxyTracing;
  const spec = mergeTracing(t.tracing, mesh.defaultProviders.tracing, (n) => findProvider(mesh, n) !== undefined);
  if (!spec) {
    if (!mesh.enableTracing) return { off: true };
    const plain =
      proxy.sampling === undefined &&
      Object.keys(proxy.customTags).length === 0 &&
      proxy.maxPathTagLength === undefined &&
      proxy.enableIstioTags !== false;
    if (plain) return undefined;
    // The bootstrap's tracer with the mesh's proxy tracing defaults.
    return {
      randomSampling: proxySampling(proxy),
      customTags: userTags(proxy.customTags),
      istioTags: proxy.enableIstioTags ?? true,
      useRequestIdForTraceSampling: true,
      ...(proxy.maxPathTagLength ? { maxPathTagLength: proxy.maxPathTagLength } : {}),
    };
  }
  if (spec.disabled || spec.provider === undefined) return { off: true };
  const p = findProvider(mesh, spec.provider);
  const tracer = p && tracerOf(ctx, inputs, p);
  if (!tracer) return { off: true };
  const own = spec.customTags && Object.keys(spec.customTags).length > 0 ? spec.customTags : proxy.customTags;
  const maxTag = tracer.maxPathTagLength ?? proxy.maxPathTagLength;
  return {
    tracer,
    randomSampling: spec.randomSamplingPercentage ?? proxySampling(proxy),
    customTags: userTags(own),
    istioTags: spec.enableIstioTags,
    useRequestIdForTraceSampling: spec.useRequestIdForTraceSampling,
    ...(maxTag ? { maxPathTagLength: maxTag } : {}),
  };
}

/** telemetry.go: telemetryFilters, generateStatsConfig — one filter per prometheus provider in scope. */
function stats(inputs: TelemetryInputs, t: ApplicableTelemetry): StatsFilterIR[] | undefined {
  const { mesh } = inputs;
  // The common case — no Telemetry metrics, prometheus the default — is the default filter.
  const defaults = mesh.defaultProviders.metrics;
  if (t.metrics.length === 0 && defaults.length === 1 && findProvider(mesh, defaults[0] ?? '')?.kind === 'prometheus')
    return undefined;
  const out: StatsFilterIR[] = [];
  const merged = [...mergeMetrics(t.metrics, defaults)].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name, m] of merged) {
    if (findProvider(mesh, name)?.kind !== 'prometheus' || m.disabled) continue;
    const ms = m.reportingInterval !== undefined ? checkedValue(parseIstioDuration, m.reportingInterval) : undefined;
    out.push({
      metrics: m.overrides.map((o) => ({
        name: names.PROMETHEUS_METRIC_NAMES[o.name] ?? o.name,
        drop: o.disabled,
        dimensions: Object.fromEntries(o.tags.filter((x) => x.value !== undefined).map((x) => [x.name, x.value ?? ''])),
        tagsToRemove: o.tags.filter((x) => x.value === undefined).map((x) => x.name),
      })),
      ...(ms !== undefined ? { tcpReportingMs: ms } : {}),
    });
  }
  return out;
}

export function chainTelemetry(ctx: WaypointContext, inputs: TelemetryInputs, t: ApplicableTelemetry): ChainTelemetry {
  const tr = tracing(ctx, inputs, t);
  const st = stats(inputs, t);
  return {
    accessLogs: accessLogs(ctx, inputs, t),
    ...(tr ? { tracing: tr } : {}),
    ...(st ? { stats: st } : {}),
  };
}
