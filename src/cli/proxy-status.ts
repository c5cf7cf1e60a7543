import { DebugTypeUrl, decodeMessage, TypeUrl, type OutputTypeMap } from '../envoy';
import type { Command } from './commands';
import { oneOf, parse } from './flags';
import { formatted, table, write } from './output';
import { dialCredentials, queryXds, XDS_DIAL_FLAGS, XDS_DIAL_USAGE } from './xds-query';
import { toProtoJson } from '../envoy';

type ClientConfig = OutputTypeMap['envoy.service.status.v3.ClientConfig'];

const USAGE = `usage: istiod-lite proxy-status [--xds-address HOST:PORT] [-v] [-o json|yaml]

Shows every connected proxy and whether it holds the configuration last sent
(SYNCED), has not acknowledged it yet (STALE), rejected it (ERROR) or was
never sent a type (NOT SENT). Read over xDS (type istio.io/debug/syncz). On
the TLS port an identity in the control plane's namespace sees every proxy,
others only the proxies of their own namespace.

flags:
  --xds-address HOST:PORT (default localhost:15010)
${XDS_DIAL_USAGE}`;

const COLUMNS: [string, string][] = [
  ['CDS', TypeUrl.Cluster],
  ['LDS', TypeUrl.Listener],
  ['EDS', TypeUrl.Endpoint],
  ['RDS', TypeUrl.Route],
  ['ECDS', 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig'],
];

function statusText(cfg: ClientConfig, type: string): string {
  const g = cfg.generic_xds_configs.find((x) => x.type_url === type);
  if (!g) return 'NOT SENT';
  return g.config_status === 'NOT_SENT' ? 'NOT SENT' : String(g.config_status);
}

function metadataValue(cfg: ClientConfig, key: string): string {
  const v = cfg.node?.metadata?.fields?.[key];
  return v?.kind === 'stringValue' ? (v.stringValue ?? '') : '';
}

export const proxyStatusCommand: Command = {
  name: 'proxy-status',
  summary: 'show the sync status of every connected proxy',
  usage: USAGE,
  async run(argv) {
    const { values } = parse(
      argv,
      {
        'xds-address': { type: 'string', default: 'localhost:15010' },
        verbose: { type: 'boolean', short: 'v' },
        output: { type: 'string', short: 'o', default: 'table' },
        timeout: { type: 'string', default: '5' },
        ...XDS_DIAL_FLAGS,
      },
      false,
    );
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const res = await queryXds(
      values['xds-address'],
      DebugTypeUrl.Syncz,
      Number(values.timeout) * 1000,
      [],
      dialCredentials(values),
    );
    const controlPlane = res.control_plane?.identifier ?? '';
    const configs = res.resources.map((a) => decodeMessage('envoy.service.status.v3.ClientConfig', a.value));
    if (format !== 'table') {
      write(
        formatted(
          res.resources.map((a) => toProtoJson('envoy.service.status.v3.ClientConfig', a.value)),
          format,
        ),
      );
      return;
    }
    const rows = configs.map((c) => [
      c.node?.id ?? '',
      c.node?.cluster || metadataValue(c, 'CLUSTER_ID'),
      ...COLUMNS.map(([, t]) => statusText(c, t)),
      controlPlane,
      metadataValue(c, 'ISTIO_VERSION'),
    ]);
    write(table(['NAME', 'CLUSTER', ...COLUMNS.map(([n]) => n), 'ISTIOD', 'VERSION'], rows));
    if (values.verbose) {
      for (const c of configs) {
        for (const g of c.generic_xds_configs) {
          if (g.error_state) write(`${c.node?.id} ${g.type_url}: ${g.error_state.details}\n`);
        }
      }
    }
  },
};
