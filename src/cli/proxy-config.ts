import type { Command } from './commands';
import { CommandError, UsageError } from './errors';
import { oneOf, parse } from './flags';
import { formatted, table, write } from './output';

const USAGE = `usage: istiod-lite proxy-config all|clusters|listeners|routes|endpoints <pod>.<ns> [--debug-address HOST:PORT] [-o table|json|yaml]

Shows the configuration the control plane serves to one connected proxy
(from /debug/config_dump on the server's debug port).`;

const SECTIONS = { clusters: 'CDS', listeners: 'LDS', routes: 'RDS', endpoints: 'EDS' } as const;
type Section = keyof typeof SECTIONS;

interface Dump {
  configs: { type: string; resources: { name: string; version: string; resource: Record<string, unknown> }[] }[];
}

async function fetchDump(address: string, proxy: string): Promise<Dump> {
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
      return {
        header: ['NAME', 'TYPE', 'VERSION'],
        rows: items.map((x) => [x.name, String(r(x).type ?? 'EDS'), x.version]),
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

export const proxyConfigCommand: Command = {
  name: 'proxy-config',
  summary: "show one proxy's clusters, listeners, routes or endpoints",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      'debug-address': { type: 'string', default: 'localhost:15014' },
      output: { type: 'string', short: 'o', default: 'table' },
    });
    const [what, proxy] = positionals;
    if (!what || !proxy) throw new UsageError('need a section and a proxy (<pod>.<ns>)');
    const section = oneOf('section', what, ['all', 'clusters', 'listeners', 'routes', 'endpoints'] as const);
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const dump = await fetchDump(values['debug-address'], proxy);
    const sections: Section[] = section === 'all' ? ['clusters', 'listeners', 'routes', 'endpoints'] : [section];
    if (format !== 'table') {
      const out: Record<string, unknown> = {};
      for (const s of sections)
        out[s] = dump.configs.find((c) => c.type === SECTIONS[s])?.resources.map((x) => x.resource) ?? [];
      write(formatted(section === 'all' ? out : out[section], format));
      return;
    }
    sections.forEach((s, i) => {
      const t = rowsOf(s, dump);
      if (i > 0) write('\n');
      write(table(t.header, t.rows));
    });
  },
};
