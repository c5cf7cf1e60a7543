import { DebugTypeUrl, decodeMessage, TypeUrl, type OutputTypeMap } from '../envoy';
import type { Command } from './commands';
import { UsageError } from './errors';
import { oneOf, parse, parseDuration } from './flags';
import { formatted, table, write } from './output';
import { dialCredentials, queryXds, XDS_DIAL_FLAGS, XDS_DIAL_USAGE } from './xds-query';
import { toProtoJson } from '../envoy';

type ClientConfig = OutputTypeMap['envoy.service.status.v3.ClientConfig'];

const USAGE = `usage: istiod-lite proxy-status [--xds-address HOST:PORT] [-n NS] [-v N] [-o table|json|yaml]

Shows every connected proxy, the control-plane replica it is connected to
(ISTIOD) and the xDS types it subscribes to. With -v 1 (istioctl's
--verbosity) it shows each type's state instead: SYNCED (holds what was
last sent), STALE (not acknowledged yet), ERROR (rejected), NOT SENT, or
IGNORED (not subscribed). Read over xDS (type istio.io/debug/syncz); -o json
prints that DiscoveryResponse in protobuf JSON, as istioctl does. On the TLS
port an identity in the control plane's namespace sees every proxy, others
only the proxies of their own namespace.

flags:
  --xds-address HOST:PORT (default localhost:15010)
  -n, --namespace NS      only the proxies of this namespace
  -v, --verbosity N       0 (default): subscribed types; 1: every type's state
  -o, --output FORMAT     table (default), json or yaml
  --timeout DUR           how long to wait for the answer (Go duration, default 5s)
${XDS_DIAL_USAGE}`;

const ECDS = 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig';

// Short names as istioctl prints them (pkg/config/xds: GetShortType).
const SHORT: Record<string, string> = {
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.Endpoint]: 'EDS',
  [TypeUrl.Route]: 'RDS',
  [ECDS]: 'ECDS',
  [TypeUrl.Address]: 'WADS',
};
const shortType = (t: string) => SHORT[t] ?? t.replace(/^type\.googleapis\.com\//, '');
const CORE_ORDER = [TypeUrl.Cluster, TypeUrl.Listener, TypeUrl.Endpoint, TypeUrl.Route] as string[];

function statusText(g: ClientConfig['generic_xds_configs'][number]): string {
  const s = String(g.config_status);
  if (s === 'UNKNOWN') return 'IGNORED';
  return s === 'NOT_SENT' ? 'NOT SENT' : s;
}

function metadataValue(cfg: ClientConfig, key: string): string {
  const v = cfg.node?.metadata?.fields?.[key];
  return v?.kind === 'stringValue' ? (v.stringValue ?? '') : '';
}

/** The replica's ID from istiod's control-plane identifier JSON (xdsgen.go: ControlPlane), or the text itself. */
export function replicaId(identifier: string): string {
  try {
    const v = JSON.parse(identifier) as { ID?: unknown };
    if (typeof v.ID === 'string' && v.ID !== '') return v.ID;
  } catch {
    // not JSON: an older server's plain name
  }
  return identifier;
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
        namespace: { type: 'string', short: 'n' },
        verbosity: { type: 'string', short: 'v', default: '0' },
        output: { type: 'string', short: 'o', default: 'table' },
        timeout: { type: 'string', default: '5s' },
        ...XDS_DIAL_FLAGS,
      },
      false,
    );
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const verbosity = Number(values.verbosity);
    if (!Number.isInteger(verbosity) || verbosity < 0)
      throw new UsageError(`--verbosity: "${values.verbosity}" is not a level (0 or 1)`);
    // A bare number is seconds, as this flag took before it took Go durations.
    const timeoutMs = /^\d+$/.test(values.timeout)
      ? Number(values.timeout) * 1000
      : parseDuration('timeout', values.timeout);
    const res = await queryXds(values['xds-address'], DebugTypeUrl.Syncz, timeoutMs, [], dialCredentials(values));
    const identifier = res.control_plane?.identifier ?? '';
    const ns = values.namespace;
    const entries = res.resources
      .map((a) => ({ any: a, cfg: decodeMessage('envoy.service.status.v3.ClientConfig', a.value) }))
      .filter((e) => !ns || metadataValue(e.cfg, 'NAMESPACE') === ns || e.cfg.node?.id?.endsWith(`.${ns}`));
    if (format !== 'table') {
      // istioctl writer/pilot/status.go printMachineReadable: the DiscoveryResponse itself.
      const doc = {
        resources: entries.map((e) => ({
          '@type': e.any.type_url,
          ...toProtoJson('envoy.service.status.v3.ClientConfig', e.any.value),
        })),
        typeUrl: DebugTypeUrl.Syncz,
        ...(identifier ? { controlPlane: { identifier } } : {}),
      };
      write(formatted(doc, format));
      return;
    }
    const istiod = replicaId(identifier);
    const rows = entries
      .map(({ cfg }) => ({
        id: cfg.node?.id ?? '',
        cluster: cfg.node?.cluster || metadataValue(cfg, 'CLUSTER_ID'),
        version: metadataValue(cfg, 'ISTIO_VERSION'),
        types: new Map(cfg.generic_xds_configs.map((g) => [g.type_url, statusText(g)])),
      }))
      .sort((a, b) => a.id.localeCompare(b.id));
    const seen = new Set(rows.flatMap((r) => [...r.types.keys()]));
    if (verbosity > 0) {
      // istioctl printAllVerbose: every type seen plus the core ones, by type URL.
      const all = [...new Set([...seen, ...CORE_ORDER, ECDS])].sort();
      write(
        table(
          ['NAME', 'CLUSTER', ...all.map(shortType), 'ISTIOD', 'VERSION'],
          rows.map((r) => [r.id, r.cluster, ...all.map((t) => r.types.get(t) ?? 'IGNORED'), istiod, r.version]),
        ),
      );
      for (const { cfg } of entries)
        for (const g of cfg.generic_xds_configs)
          if (g.error_state) write(`${cfg.node?.id} ${shortType(g.type_url)}: ${g.error_state.details}\n`);
      return;
    }
    // istioctl xdsStatusPrintlnSubscribedTypes: core types first, then the rest sorted.
    const order = [
      ...CORE_ORDER.filter((t) => seen.has(t)),
      ...[...seen].filter((t) => !CORE_ORDER.includes(t)).sort(),
    ];
    write(
      table(
        ['NAME', 'CLUSTER', 'ISTIOD', 'VERSION', 'SUBSCRIBED TYPES'],
        rows.map((r) => {
          const subscribed = order.filter((t) => r.types.has(t) && r.types.get(t) !== 'IGNORED').map(shortType);
          return [
            r.id,
            r.cluster,
            istiod,
            r.version,
            subscribed.length > 0 ? `${subscribed.length} (${subscribed.join(',')})` : '0',
          ];
        }),
      ),
    );
  },
};
