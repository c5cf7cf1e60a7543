import { DebugTypeUrl, decodeMessage, TypeUrl, type OutputTypeMap } from '../envoy';
import type { Command } from './commands';
import { CommandError, UsageError } from './errors';
import { oneOf, parse, parseDuration } from './flags';
import { formatted, table, write } from './output';
import { dialOf, queryXds, type Dial, XDS_DIAL_FLAGS, XDS_DIAL_USAGE } from './xds-query';
import { toProtoJson } from '../envoy';

type ClientConfig = OutputTypeMap['envoy.service.status.v3.ClientConfig'];

const USAGE = `usage: istiod-lite proxy-status [<pod>[.<ns>]] [--xds-address HOST:PORT]... [-n NS] [-v N] [-o table|json|yaml]

Shows every connected proxy, the control-plane replica it is connected to
(ISTIOD) and the xDS types it subscribes to. With -v 1 (istioctl's
--verbosity) it shows each type's state instead: SYNCED (holds what was
last sent), STALE (not acknowledged yet), ERROR (rejected), NOT SENT, or
IGNORED (not subscribed). Read over xDS (type istio.io/debug/syncz); -o json
prints that DiscoveryResponse in protobuf JSON, as istioctl does (a list of
them when several replicas are asked). On the TLS port an identity in the
control plane's namespace sees every proxy, others only the proxies of their
own namespace.

--xds-address may be given several times (or as a comma list), one per
replica: every replica is asked and each row names the replica that holds
that proxy's stream.

With <pod> it prints, for that proxy's clusters, listeners and routes,
"Clusters Match" or "Clusters Don't Match" as istioctl does. istioctl diffs
the proxy's own Envoy config dump against istiod's; this control plane does
not reach into proxies, so a type matches when the proxy acknowledged the
last version sent, and a mismatch says what is outstanding (not yet
acknowledged, rejected with Envoy's error, or never sent) instead of a
unified diff.

flags:
  --xds-address HOST:PORT (default localhost:15010; repeat or comma-separate for replicas)
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

type Response = Awaited<ReturnType<typeof queryXds>>;

/** The replicas named by --xds-address, each once, in the order given. */
export function addressesOf(values: readonly string[]): string[] {
  const all = values.flatMap((v) => v.split(',')).map((v) => v.trim());
  if (all.some((a) => a === '')) throw new UsageError('--xds-address: empty address');
  return [...new Set(all)];
}

/** Asks every replica; rows come from those that answer, and any that did not fail the run after printing. */
async function askAll(
  addresses: string[],
  timeoutMs: number,
  dial: Dial,
): Promise<{ answers: Response[]; errors: string[] }> {
  const settled = await Promise.allSettled(addresses.map((a) => queryXds(a, DebugTypeUrl.Syncz, timeoutMs, [], dial)));
  const answers: Response[] = [];
  const errors: string[] = [];
  for (const r of settled) {
    if (r.status === 'fulfilled') answers.push(r.value);
    else errors.push(r.reason instanceof Error ? r.reason.message : String(r.reason));
  }
  if (answers.length === 0) throw new CommandError(errors.join('; '));
  return { answers, errors };
}

const DIFF_TYPES = [
  [TypeUrl.Cluster, 'Clusters'],
  [TypeUrl.Listener, 'Listeners'],
  [TypeUrl.Route, 'Routes'],
] as const;

/** Go's time.RFC1123 in UTC, as istioctl prints "RDS last loaded at". */
function rfc1123(
  ts: { seconds?: number | string | { toString(): string }; nanos?: number } | null | undefined,
): string {
  const secs = Number(ts?.seconds ?? 0);
  return secs ? new Date(secs * 1000).toUTCString().replace(/GMT$/, 'UTC') : '';
}

/**
 * The per-type comparison istioctl proxy-status <pod> prints
 * (istioctl writer/compare: ClusterDiff, ListenerDiff, RouteDiff), from what
 * was sent and what the proxy acknowledged.
 */
export function diffLines(cfg: ClientConfig): string[] {
  const out: string[] = [];
  for (const [url, label] of DIFF_TYPES) {
    const g = cfg.generic_xds_configs.find((x) => x.type_url === url);
    const status = g ? String(g.config_status) : 'NOT_SENT';
    const loaded = url === TypeUrl.Route && g?.last_updated ? ` (RDS last loaded at ${rfc1123(g.last_updated)})` : '';
    if (status === 'SYNCED') {
      out.push(`${label} Match${loaded}`);
      continue;
    }
    out.push(`${label} Don't Match${url === TypeUrl.Route ? loaded : ''}`);
    if (status === 'ERROR') out.push(`  rejected by the proxy: ${g?.error_state?.details ?? ''}`);
    else if (status === 'STALE') out.push(`  sent at ${rfc1123(g?.last_updated)}, not acknowledged yet`);
    else if (status === 'UNKNOWN') out.push('  not subscribed by the proxy');
    else out.push('  not sent: the proxy has not asked for them');
  }
  return out;
}

export const proxyStatusCommand: Command = {
  name: 'proxy-status',
  aliases: ['ps'],
  summary: 'show the sync status of every connected proxy',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      'xds-address': { type: 'string', multiple: true, default: ['localhost:15010'] },
      namespace: { type: 'string', short: 'n' },
      verbosity: { type: 'string', short: 'v', default: '0' },
      output: { type: 'string', short: 'o', default: 'table' },
      timeout: { type: 'string', default: '5s' },
      ...XDS_DIAL_FLAGS,
    });
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const verbosity = Number(values.verbosity);
    if (!Number.isInteger(verbosity) || verbosity < 0)
      throw new UsageError(`--verbosity: "${values.verbosity}" is not a level (0 or 1)`);
    // A bare number is seconds, as this flag took before it took Go durations.
    const timeoutMs = /^\d+$/.test(values.timeout)
      ? Number(values.timeout) * 1000
      : parseDuration('timeout', values.timeout);
    const addresses = addressesOf(values['xds-address']);
    const { answers, errors } = await askAll(addresses, timeoutMs, dialOf(values));
    const ns = values.namespace;
    const entries = answers.flatMap((res) =>
      res.resources
        .map((a) => ({
          packed: a,
          istiod: replicaId(res.control_plane?.identifier ?? ''),
          cfg: decodeMessage('envoy.service.status.v3.ClientConfig', a.value),
        }))
        .filter((e) => !ns || metadataValue(e.cfg, 'NAMESPACE') === ns || e.cfg.node?.id?.endsWith(`.${ns}`)),
    );
    const failed = () => {
      if (errors.length > 0) throw new CommandError(errors.join('; '));
    };
    const pod = positionals[0];
    if (pod !== undefined) {
      // istioctl proxystatus.go: "<pod>[.<ns>]", the namespace from -n otherwise.
      const id = pod.includes('.') ? pod : `${pod}.${ns ?? 'default'}`;
      const found = entries.find((e) => e.cfg.node?.id === id);
      if (!found) {
        failed();
        throw new CommandError(`proxy ${id} is not connected to ${addresses.join(', ')}`);
      }
      write(`${diffLines(found.cfg).join('\n')}\n`);
      return;
    }
    if (format !== 'table') {
      // istioctl writer/pilot/status.go printMachineReadable: the DiscoveryResponse itself.
      const docs = answers.map((res) => {
        const identifier = res.control_plane?.identifier ?? '';
        return {
          resources: res.resources
            .filter((a) => entries.some((e) => e.packed === a))
            .map((a) => ({
              '@type': a.type_url,
              ...toProtoJson('envoy.service.status.v3.ClientConfig', a.value),
            })),
          typeUrl: DebugTypeUrl.Syncz,
          ...(identifier ? { controlPlane: { identifier } } : {}),
        };
      });
      write(formatted(docs.length === 1 ? docs[0] : docs, format));
      failed();
      return;
    }
    const rows = entries
      .map(({ cfg, istiod }) => ({
        id: cfg.node?.id ?? '',
        istiod,
        cluster: cfg.node?.cluster || metadataValue(cfg, 'CLUSTER_ID'),
        version: metadataValue(cfg, 'ISTIO_VERSION'),
        types: new Map(cfg.generic_xds_configs.map((g) => [g.type_url, statusText(g)])),
      }))
      .sort((a, b) => a.id.localeCompare(b.id) || a.istiod.localeCompare(b.istiod));
    const seen = new Set(rows.flatMap((r) => [...r.types.keys()]));
    if (verbosity > 0) {
      // istioctl printAllVerbose: every type seen plus the core ones, by type URL.
      const all = [...new Set([...seen, ...CORE_ORDER, ECDS])].sort();
      write(
        table(
          ['NAME', 'CLUSTER', ...all.map(shortType), 'ISTIOD', 'VERSION'],
          rows.map((r) => [r.id, r.cluster, ...all.map((t) => r.types.get(t) ?? 'IGNORED'), r.istiod, r.version]),
        ),
      );
      for (const { cfg } of entries)
        for (const g of cfg.generic_xds_configs)
          if (g.error_state) write(`${cfg.node?.id} ${shortType(g.type_url)}: ${g.error_state.details}\n`);
      failed();
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
            r.istiod,
            r.version,
            subscribed.length > 0 ? `${subscribed.length} (${subscribed.join(',')})` : '0',
          ];
        }),
      ),
    );
    failed();
  },
};
