import { pack, type TypeMap } from '../envoy';
import type { AccessLogIR } from './ir';

type AccessLog = TypeMap['envoy.config.accesslog.v3.AccessLog'];

export function accessLogs(logs: readonly AccessLogIR[]): AccessLog[] {
  return logs.map((l) => ({
    name: 'envoy.access_loggers.file',
    typed_config: pack('envoy.extensions.access_loggers.file.v3.FileAccessLog', {
      path: l.path,
      ...(l.format
        ? {
            log_format: { text_format_source: { inline_string: l.format.endsWith('\n') ? l.format : `${l.format}\n` } },
          }
        : {}),
    }),
  }));
}
