import type { Command } from './commands';
import { CommandError, UsageError } from './errors';
import { oneOf, parse, parsePort } from './flags';
import { clusterNameParts, destinationRuleOf, envoyConfigDump, type Dump } from './config-dump';
import { findCluster, KUBE_FLAGS } from './kube-context';
import { formatted, table, write } from './output';

const USAGE = `usage: istiod-lite proxy-config all|clusters|listeners|routes|endpoints <pod>[.<ns>]|deploy/<name> [-n NS] [--fqdn F] [--port N] [--direction D] [--name R] [--debug-address HOST:PORT] [-o table|json|yaml]

Shows the configuration the control plane serves to one connected proxy
(from /debug/config_dump on the server's debug port). deploy/<name> picks a
connected proxy of that Deployment. "all -o json" prints Envoy's ConfigDump
shape (configs[] of ClustersConfigDump, ListenersConfigDump,
RoutesConfigDump, EndpointsConfigDump), which Envoy tooling reads. The
clusters table has istioctl's columns (SERVICE FQDN PORT SUBSET DIRECTION
TYPE DESTINATION RULE); secret and bootstrap are not served by this
control plane's dump, so they are not offered.

flags:
  -n, --namespace NS      the proxy's namespace when not in its name (default: the kubeconfig context's, else default)
  --fqdn F                clusters whose name contains F (istioctl ClusterFilter)
  --port N                clusters with port N
  --direction D           clusters of direction D (inbound, outbound, inbound-vip…)
  --name R                routes named R
  --debug-address HOST:PORT  the server's debug port (default localhost:15014)
  -o, --output FORMAT     table (default), json or yaml`;

const SECTIONS = { clusters: 'CDS', listeners: 'LDS', routes: 'RDS', endpoints: 'EDS' } as const;
type Section = keyof typeof SECTIONS;

export async function fetchDump(address: string, proxy: string): Promise<Dump> {
  const url = `http://${address}/debug/config_dump?proxyID=${encodeURIComponent(proxy)}`;
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  } catch (e) {
    throw new CommandError(
      `cannot reach the control plane's debug port at ${address}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const body = (await res.json()) as Dump & { error?: string };
  if (!res.ok) throw new CommandError(body.error ?? `HTTP ${res.status} from ${url}`);
  return body;
}

function rowsOf(section: Section, dump: Dump): { header: string[]; rows: string[][] } {
  const items = dump.configs.find((c) => c.type === SECTIONS[section])?.resources ?? [];
  const r = (x: (typeof items)[number]) => x.resource as Record<string, unknown> & { [k: string]: never };
  switch (section) {
    case 'clusters':
      // istioctl writer/envoy/configdump/cluster.go: PrintClusterSummary.
      return {
        header: ['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE'],
        rows: items.map((x) => {
          const n = clusterNameParts(x.name);
          return [n.fqdn, n.port, n.subset, n.direction, String(r(x).type ?? 'EDS'), destinationRuleOf(x.resource)];
        }),
      };
    case 'listeners':
      return {
        header: ['NAME', 'ADDRESS', 'CHAINS'],
        rows: items.map((x) => {
          const sock = (r(x).address as { socketAddress?: { address?: string; portValue?: number } } | undefined)
            ?.socketAddress;
          const chains = (r(x).filterChains as unknown[] | undefined)?.length ?? 0;
          return [x.name, sock ? `${sock.address}:${sock.portValue}` : 'internal', String(chains)];
        }),
      };
    case 'routes':
      return {
        header: ['NAME', 'VIRTUAL HOSTS', 'ROUTES'],
        rows: items.map((x) => {
          const vhosts = (r(x).virtualHosts as { name: string; routes?: unknown[] }[] | undefined) ?? [];
          return [
            x.name,
            vhosts.map((v) => v.name).join(','),
            String(vhosts.reduce((n, v) => n + (v.routes?.length ?? 0), 0)),
          ];
        }),
      };
    case 'endpoints': {
      const rows: string[][] = [];
      for (const x of items) {
        for (const loc of (r(x).endpoints as { lbEndpoints?: Record<string, unknown>[] }[] | undefined) ?? []) {
          for (const e of loc.lbEndpoints ?? []) {
            const md = (e.metadata as { filterMetadata?: Record<string, Record<string, string>> } | undefined)
              ?.filterMetadata;
            const target = md?.['envoy.filters.listener.original_dst']?.local ?? '';
            rows.push([target, String(e.healthStatus ?? 'HEALTHY'), x.name]);
          }
        }
      }
      return { header: ['ENDPOINT', 'STATUS', 'CLUSTER'], rows };
    }
  }
}

/** istioctl proxy-config's section aliases (proxyconfig.go). */
const SECTION_ALIASES: Readonly<Record<string, string>> = {
  a: 'all',
  cluster: 'clusters',
  c: 'clusters',
  listener: 'listeners',
  l: 'listeners',
  route: 'routes',
  r: 'routes',
  endpoint: 'endpoints',
  ep: 'endpoints',
};

export const proxyConfigCommand: Command = {
  name: 'proxy-config',
  aliases: ['pc'],
  summary: "show one proxy's clusters, listeners, routes or endpoints",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      'debug-address': { type: 'string', default: 'localhost:15014' },
      output: { type: 'string', short: 'o', default: 'table' },
      namespace: { type: 'string', short: 'n' },
      fqdn: { type: 'string' },
      port: { type: 'string' },
      direction: { type: 'string' },
      name: { type: 'string' },
      ...KUBE_FLAGS,
    });
    const [what, target] = positionals;
    if (!what || !target) throw new UsageError('need a section and a proxy (<pod>.<ns> or deploy/<name>)');
    if (positionals.length > 2) throw new UsageError(`unexpected argument "${positionals[2]}"`);
    const section = oneOf('section', SECTION_ALIASES[what] ?? what, [
      'all',
      'clusters',
      'listeners',
      'routes',
      'endpoints',
    ] as const);
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const port = values.port === undefined ? undefined : parsePort('port', values.port);
    const ns = values.namespace ?? (await quietNamespace(values));
    const proxy = await resolveProxy(values['debug-address'], target, ns);
    const dump = filtered(await fetchDump(values['debug-address'], proxy), {
      fqdn: values.fqdn,
      port,
      direction: values.direction,
      name: values.name,
    });
    const sections: Section[] = section === 'all' ? ['clusters', 'listeners', 'routes', 'endpoints'] : [section];
    if (format !== 'table') {
      if (section === 'all') return write(formatted(envoyConfigDump(dump), format));
      write(
        formatted(
          dump.configs.find((c) => c.type === SECTIONS[section])?.resources.map((x) => x.resource) ?? [],
          format,
        ),
      );
      return;
    }
    sections.forEach((s, i) => {
      const t = rowsOf(s, dump);
      if (i > 0) write('\n');
      write(table(t.header, t.rows));
    });
  },
};

/** The context's namespace when a kubeconfig is there; proxy-config itself needs no cluster. */
async function quietNamespace(values: { kubeconfig?: string; context?: string }): Promise<string> {
  try {
    return (await findCluster(values))?.namespace ?? 'default';
  } catch {
    return 'default';
  }
}

/**
 * `<pod>.<ns>` as given, `<pod>` in -n's namespace, or deploy/<name>: the
 * first connected proxy (by ID) whose pod name is the Deployment's, as
 * istioctl picks a pod of a Deployment.
 */
export async function resolveProxy(address: string, target: string, ns: string): Promise<string> {
  const deploy = /^(?:deploy|deployment|deployments)\/(.+)$/.exec(target)?.[1];
  if (!deploy) return target.includes('.') ? target : `${target}.${ns}`;
  let body: unknown;
  try {
    const res = await fetch(`http://${address}/debug/syncz`, { signal: AbortSignal.timeout(5000) });
    body = await res.json();
  } catch (e) {
    throw new CommandError(
      `cannot reach the control plane's debug port at ${address}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const list = (Array.isArray(body) ? body : ((body as { body?: unknown }).body ?? [])) as { node?: { id?: string } }[];
  const pod = new RegExp(
    `^${deploy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-[a-z0-9]+-[a-z0-9]+\\.${ns.replace(/\./g, '\\.')}$`,
  );
  const ids = list
    .map((c) => c.node?.id ?? '')
    .filter((id) => pod.test(id))
    .sort();
  if (ids.length === 0) throw new CommandError(`no connected proxy of deployment ${ns}/${deploy}`);
  return ids[0]!;
}

/** istioctl's ClusterFilter (substring matches on the cluster name) and the route name filter. */
function filtered(dump: Dump, f: { fqdn?: string; port?: number; direction?: string; name?: string }): Dump {
  return {
    configs: dump.configs.map((c) => {
      if (c.type === 'CDS')
        return {
          ...c,
          resources: c.resources.filter(
            (x) =>
              (!f.fqdn || x.name.includes(f.fqdn)) &&
              (!f.direction || x.name.includes(f.direction)) &&
              (f.port === undefined || x.name.includes(`|${f.port}|`)),
          ),
        };
      if (c.type === 'RDS' && f.name) return { ...c, resources: c.resources.filter((x) => x.name === f.name) };
      return c;
    }),
  };
}
