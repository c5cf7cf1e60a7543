import { pack, type TypeMap } from '../envoy';
import { struct } from './common';
import type { AccessLogFormatIR, AccessLogIR } from './ir';
import { REQ_WITHOUT_QUERY_FORMATTER, REQ_WITHOUT_QUERY_OPERATOR } from './names';

type AccessLog = TypeMap['envoy.config.accesslog.v3.AccessLog'];
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

export function accessLogs(logs: readonly AccessLogIR[]): AccessLog[] {
  return logs.map((l) => ({
    name: 'envoy.access_loggers.file',
    typed_config: pack('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
      path: l.path,
      log_format: logFormat(l.format),
    }),
  }));
}
