import { pack, type TypeMap } from '../../envoy';
import { struct } from '../common';
import type { AccessLogFormatIR, AccessLogIR } from '../ir';
import {
  ACCESS_LOG_CEL_FILTER,
  ACCESS_LOGGER_FILE,
  ACCESS_LOGGER_HTTP_GRPC,
  ACCESS_LOGGER_OTEL,
  OTEL_ALS_FILTER_STATE_OBJECTS,
  ACCESS_LOGGER_TCP_GRPC,
  REQ_WITHOUT_QUERY_FORMATTER,
  REQ_WITHOUT_QUERY_OPERATOR,
  UNSET_RUNTIME_KEY,
} from '../names';

type AccessLog = TypeMap['envoy.config.accesslog.v3.AccessLog'];
type AccessLogFilter = TypeMap['envoy.config.accesslog.v3.AccessLogFilter'];
type SubstitutionFormatString = TypeMap['envoy.config.core.v3.SubstitutionFormatString'];

/** Does any string in the format use an operator only the req_without_query extension knows? */
function usesReqWithoutQuery(v: unknown): boolean {
  if (typeof v === 'string') return v.includes(REQ_WITHOUT_QUERY_OPERATOR);
  if (Array.isArray(v)) return v.some(usesReqWithoutQuery);
  if (v && typeof v === 'object') return Object.values(v).some(usesReqWithoutQuery);
  return false;
}

/**
 * Text as an inline source, JSON fields unsorted; the req_without_query
 * formatter only when the format uses it (telemetry_logging.go:
 * FileAccessLogFromMeshConfig, accessLogTextFormatters, accessLogJSONFormatters).
 */
function logFormat(f: AccessLogFormatIR): SubstitutionFormatString {
  const out: SubstitutionFormatString =
    f.kind === 'text'
      ? { text_format_source: { inline_string: f.text } }
      : { json_format: struct(f.fields), json_format_options: { sort_properties: false } };
  if (usesReqWithoutQuery(f.kind === 'text' ? f.text : f.fields))
    out.formatters = [
      {
        name: REQ_WITHOUT_QUERY_FORMATTER,
        typed_config: pack('envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery', {}),
      },
    ];
  return out;
}

/** accesslog.go: buildAccessLogFilterFromTelemetry — the Telemetry's CEL expression. */
function celFilter(expression: string): AccessLogFilter {
  return {
    extension_filter: {
      name: ACCESS_LOG_CEL_FILTER,
      typed_config: pack('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter', { expression }),
    },
  };
}

function grpcCommon(l: Extract<AccessLogIR, { kind: 'http-grpc' | 'tcp-grpc' | 'otel' }>) {
  return {
    log_name: l.logName,
    grpc_service: { envoy_grpc: { cluster_name: l.cluster, authority: l.authority } },
    transport_api_version: 'V3' as const,
    filter_state_objects_to_log: l.kind === 'otel' ? [...OTEL_ALS_FILTER_STATE_OBJECTS] : l.filterStateObjectsToLog,
  };
}

/**
 * telemetry_logging.go: buildOpenTelemetryAccessLogConfig — Envoy's own
 * labels off, the body as a string value, attributes only when there are
 * some, and the req_without_query formatter when body or attributes use it
 * (accessLogFormatters).
 */
function otelConfig(l: Extract<AccessLogIR, { kind: 'otel' }>) {
  const reqWithoutQuery = usesReqWithoutQuery(l.body) || usesReqWithoutQuery(l.attributes.map((a) => a.value));
  return pack('envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig', {
    common_config: grpcCommon(l),
    disable_builtin_labels: true,
    ...(l.body !== '' ? { body: { string_value: l.body } } : {}),
    ...(l.attributes.length > 0
      ? { attributes: { values: l.attributes.map((a) => ({ key: a.key, value: { string_value: a.value } })) } }
      : {}),
    ...(reqWithoutQuery
      ? {
          formatters: [
            {
              name: REQ_WITHOUT_QUERY_FORMATTER,
              typed_config: pack('envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery', {}),
            },
          ],
        }
      : {}),
  });
}

/**
 * telemetry_logging.go: fileAccessLogFromTelemetry, httpGrpcAccessLogFromTelemetry,
 * tcpGrpcAccessLogFromTelemetry; accesslog.go: buildAccessLogFromTelemetry.
 */
/**
 * The filters istiod puts on the logs of the waypoint's tunnel listeners, so
 * they log only what the chains cannot (accesslog.go: listenerAccessLogFilter,
 * hboneOriginationAccessLogFilter, hboneTerminationAccessLogFilter).
 */
export type TunnelLogFilter = 'no-route' | 'upstream-failure' | 'error-status';

function tunnelFilter(f: TunnelLogFilter): AccessLogFilter {
  if (f === 'no-route') return { response_flag_filter: { flags: ['NR'] } };
  if (f === 'upstream-failure') return { response_flag_filter: { flags: ['UF'] } };
  return {
    status_code_filter: {
      comparison: { op: 'GE', value: { default_value: 400, runtime_key: UNSET_RUNTIME_KEY } },
    },
  };
}

/** accesslog.go: buildAccessLogFilter — one filter as is, two joined by and_filter. */
function joinFilters(fs: AccessLogFilter[]): { filter?: AccessLogFilter } {
  if (fs.length === 0) return {};
  if (fs.length === 1) return { filter: fs[0] };
  return { filter: { and_filter: { filters: fs } } };
}

function accessLog(l: AccessLogIR, tunnel?: TunnelLogFilter): AccessLog {
  const filter = joinFilters([
    ...(tunnel ? [tunnelFilter(tunnel)] : []),
    ...(l.filter !== undefined ? [celFilter(l.filter)] : []),
  ]);
  if (l.kind === 'file') {
    const format = logFormat(l.format);
    return {
      name: ACCESS_LOGGER_FILE,
      typed_config: pack('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
        path: l.path,
        log_format: l.omitEmptyValues ? { ...format, omit_empty_values: true } : format,
      }),
      ...filter,
    };
  }
  if (l.kind === 'http-grpc')
    return {
      name: ACCESS_LOGGER_HTTP_GRPC,
      typed_config: pack('envoy.extensions.access_loggers.grpc.v3.HttpGrpcAccessLogConfig', {
        common_config: grpcCommon(l),
        additional_request_headers_to_log: l.additionalRequestHeadersToLog,
        additional_response_headers_to_log: l.additionalResponseHeadersToLog,
        additional_response_trailers_to_log: l.additionalResponseTrailersToLog,
      }),
      ...filter,
    };
  if (l.kind === 'otel') return { name: ACCESS_LOGGER_OTEL, typed_config: otelConfig(l), ...filter };
  return {
    name: ACCESS_LOGGER_TCP_GRPC,
    typed_config: pack('envoy.extensions.access_loggers.grpc.v3.TcpGrpcAccessLogConfig', {
      common_config: grpcCommon(l),
    }),
    ...filter,
  };
}

export function accessLogs(logs: readonly AccessLogIR[], tunnel?: TunnelLogFilter): AccessLog[] {
  return logs.map((l) => accessLog(l, tunnel));
}
