import { endpointsOf, isEnrolled, type AmbientIndex } from '../ambient';
import { list, unrecorded, type World } from '../model';
import type { Command } from './commands';
import { UsageError } from './errors';
import { oneOf, parse } from './flags';
import { formatted, table, write } from './output';
import { loadWorld } from './world-loader';
import { KUBE_FLAGS, KUBE_USAGE } from './kube-context';
import { INPUT_FLAGS, INPUT_USAGE } from './manifest-input';
import { dialOf, queryDelta, XDS_DIAL_FLAGS, XDS_DIAL_USAGE } from './xds-query';
import { tablesFromAddresses } from './ztunnel-view';
import { dumpRows, readZtunnelDump } from './ztunnel-dump';
import {
  POLICY_HEADER,
  policyRowsFromDump,
  policyRowsFromWorld,
  policyRowsFromXds,
  policyValue,
} from './ztunnel-policy';
import { TypeUrl } from '../envoy';
import { vipsOf } from '../translate/services';

const USAGE = `usage: istiod-lite ztunnel-config service|workload|policy|all [-f FILE_OR_DIR|-] [-R] [--xds-address HOST:PORT] [-n NS | -A] [-o table|json|yaml]

Shows what ztunnel learns about services, workloads and authorization
policies: addresses and the waypoint each is bound to ("None" when unbound),
and the L4 policies ztunnel enforces (ACTION Allow/Deny, SCOPE Global,
Namespace or WorkloadSelector), computed from the cluster of the current
kubeconfig with the -f manifests laid over it (the manifests alone when no
cluster is configured). With --xds-address it asks a running server as
ztunnel would; on the TLS port that takes ztunnel's identity.

"all" prints the workload, service and policy tables one after another
(istioctl's all; --with-headers titles them). istioctl's all also has
certificates and connections, which only a running ztunnel knows: they are
not shown. Aliases: services/s/svc, workloads/w, policies/p/pol.

flags:
${INPUT_USAGE}
                          (a ztunnel config dump, JSON from its /config_dump, is read as is)
  -n, --namespace NS      only this namespace
  -A, --all-namespaces    every namespace (the default)
  -o, --output FORMAT     table (default), json or yaml
  --with-headers          all: a title above each table
  --xds-address HOST:PORT ask a running server
${XDS_DIAL_USAGE}
${KUBE_USAGE}`;

const VIEWS: Record<string, View> = {
  service: 'service',
  services: 'service',
  s: 'service',
  svc: 'service',
  workload: 'workload',
  workloads: 'workload',
  w: 'workload',
  policy: 'policy',
  policies: 'policy',
  p: 'policy',
  pol: 'policy',
  all: 'all',
};
type View = 'service' | 'workload' | 'policy' | 'all';

// istioctl writer/ztunnel/configdump: PrintWorkloadSummary and PrintServiceSummary columns.
const HEADERS = {
  service: ['NAMESPACE', 'SERVICE NAME', 'SERVICE VIP', 'WAYPOINT', 'ENDPOINTS'],
  workload: ['NAMESPACE', 'POD NAME', 'IP', 'NODE', 'WAYPOINT', 'PROTOCOL'],
  policy: POLICY_HEADER,
};

interface Tables {
  service: string[][];
  workload: string[][];
  policy: string[][];
}

function waypointName(index: AmbientIndex, key: string): string {
  const b = index.bindings.get(key);
  return b?.kind === 'bound' ? b.waypoint.name : 'None';
}

export function serviceRows(world: World, index: AmbientIndex, ns?: string): string[][] {
  return list(world, 'Service')
    .filter((s) => !ns || s.metadata.namespace === ns)
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    )
    .map((s) => {
      const eps = (s.spec?.ports ?? []).slice(0, 1).flatMap((p) => endpointsOf(s, p, unrecorded(world)));
      const ready = eps.filter((e) => e.ready).length;
      return [
        s.metadata.namespace ?? '',
        s.metadata.name,
        vipsOf(s).join(',') || 'None',
        waypointName(index, `Service/${s.metadata.namespace}/${s.metadata.name}`),
        `${ready}/${eps.length}`,
      ];
    });
}

export function workloadRows(world: World, index: AmbientIndex, ns?: string): string[][] {
  return list(world, 'Pod')
    .filter((p) => !ns || p.metadata.namespace === ns)
    .filter((p) => p.status?.podIP)
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    )
    .map((p) => [
      p.metadata.namespace ?? '',
      p.metadata.name,
      (p.status?.podIPs?.map((x) => x.ip) ?? [p.status?.podIP ?? '']).join(','),
      p.spec?.nodeName ?? '',
      waypointName(index, `Pod/${p.metadata.namespace}/${p.metadata.name}`),
      isEnrolled(p, world) ? 'HBONE' : 'TCP',
    ]);
}

const onlyNs = (rows: string[][], ns?: string) => rows.filter((r) => !ns || r[0] === ns);

/** Every table, from a running server, a ztunnel dump, or the cluster and manifests. */
async function tablesOf(values: Values, view: View, ns?: string): Promise<Tables> {
  if (values['xds-address']) {
    // What a ztunnel receives over xDS, rather than what we compute locally.
    const node = `ztunnel~127.0.0.1~ztunnel-config-${process.pid}.istio-system~istio-system.svc.cluster.local`;
    const dial = dialOf(values);
    const bodies = (r: Awaited<ReturnType<typeof queryDelta>>) =>
      r.resources.map((x) => x.resource?.value).filter((v): v is Buffer => !!v);
    const addresses =
      view === 'policy' ? undefined : await queryDelta(values['xds-address'], TypeUrl.Address, node, 5000, dial);
    const authz =
      view === 'policy' || view === 'all'
        ? await queryDelta(values['xds-address'], TypeUrl.Authorization, node, 5000, dial)
        : undefined;
    const t = addresses ? tablesFromAddresses(bodies(addresses)) : { services: [], workloads: [] };
    return {
      service: onlyNs(t.services, ns),
      workload: onlyNs(t.workloads, ns),
      policy: authz ? policyRowsFromXds(bodies(authz), ns) : [],
    };
  }
  // A ztunnel config dump given with -f is read as istioctl reads it; manifests are laid over the cluster.
  const dump = readZtunnelDump(values.filename ?? []);
  if (dump) {
    const t = dumpRows(dump);
    return {
      service: onlyNs(t.services, ns),
      workload: onlyNs(t.workloads, ns),
      policy: policyRowsFromDump(dump.policies, ns),
    };
  }
  const { world, index } = await loadWorld({
    files: values.filename,
    recursive: values.recursive,
    kubeconfig: values.kubeconfig,
    context: values.context,
  });
  return {
    service: serviceRows(world, index, ns),
    workload: workloadRows(world, index, ns),
    policy: policyRowsFromWorld(world, ns),
  };
}

const FLAGS = {
  ...INPUT_FLAGS,
  ...KUBE_FLAGS,
  'xds-address': { type: 'string' },
  ...XDS_DIAL_FLAGS,
  namespace: { type: 'string', short: 'n' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  output: { type: 'string', short: 'o', default: 'table' },
  'with-headers': { type: 'boolean' },
} as const;
type Values = ReturnType<typeof parse<typeof FLAGS>>['values'];

const VALUE: Record<keyof Tables, (r: string[]) => object> = {
  service: serviceValue,
  workload: workloadValue,
  policy: policyValue,
};
// istioctl configdump.go: PrintFullSummary's titles.
const TITLES = { workload: 'WORKLOAD INFO', service: 'SERVICE INFO', policy: 'POLICY INFO' };

export const ztunnelConfigCommand: Command = {
  name: 'ztunnel-config',
  aliases: ['zc'],
  summary: 'show services, workloads and policies as ztunnel sees them, with their waypoints',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, FLAGS);
    const kind = positionals[0] ?? '';
    const view = VIEWS[kind];
    if (!view) throw new UsageError(`"${kind}" is not one of service, workload, policy, all`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const ns = values['all-namespaces'] ? undefined : values.namespace;
    const t = await tablesOf(values, view, ns);
    if (view !== 'all') {
      if (format === 'table') write(table(HEADERS[view], t[view]));
      else write(formatted(t[view].map(VALUE[view]), format));
      return;
    }
    if (format !== 'table') {
      write(
        formatted(
          {
            workloads: t.workload.map(workloadValue),
            services: t.service.map(serviceValue),
            policies: t.policy.map(policyValue),
          },
          format,
        ),
      );
      return;
    }
    // istioctl PrintFullSummary: each table after a blank line, titled with --with-headers.
    for (const part of ['workload', 'service', 'policy'] as const) {
      write('\n');
      if (values['with-headers']) write(`------ ${TITLES[part]} ------\n\n`);
      write(table(HEADERS[part], t[part]));
    }
  },
};

const cells = (cell: string | undefined) => (cell && cell !== 'None' ? cell.split(',') : []);
const orNull = (cell: string | undefined) => (cell && cell !== 'None' ? cell : null);

/** A service row as values (lists, numbers, null for none) rather than the table's cells. */
function serviceValue(r: string[]) {
  const [ready, total] = (r[4] ?? '0/0').split('/').map(Number);
  return {
    namespace: r[0],
    name: r[1],
    vips: cells(r[2]),
    waypoint: orNull(r[3]),
    endpoints: { ready: ready ?? 0, total: total ?? 0 },
  };
}

/** A workload row as values. */
function workloadValue(r: string[]) {
  return {
    namespace: r[0],
    name: r[1],
    addresses: cells(r[2]),
    node: r[3] || null,
    waypoint: orNull(r[4]),
    protocol: r[5],
  };
}
