import { endpointsOf, isEnrolled, type AmbientIndex } from '../ambient';
import { list, type World } from '../model';
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
import { TypeUrl } from '../envoy';
import { vipsOf } from '../translate/services';

const USAGE = `usage: istiod-lite ztunnel-config service|workload [-f FILE_OR_DIR|-] [-R] [--xds-address HOST:PORT] [-n NS | -A] [-o table|json|yaml]

Shows what ztunnel learns about services and workloads: addresses and the
waypoint each is bound to ("None" when unbound), computed from the cluster
of the current kubeconfig with the -f manifests laid over it (the manifests
alone when no cluster is configured). With --xds-address it asks a running
server as ztunnel would; on the TLS port that takes ztunnel's identity.

flags:
${INPUT_USAGE}
                          (a ztunnel config dump, JSON from its /config_dump, is read as is)
  -n, --namespace NS      only this namespace
  -A, --all-namespaces    every namespace (the default)
  -o, --output FORMAT     table (default), json or yaml
  --xds-address HOST:PORT ask a running server
${XDS_DIAL_USAGE}
${KUBE_USAGE}`;

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
      const eps = (s.spec?.ports ?? []).slice(0, 1).flatMap((p) => endpointsOf(s, p, world));
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

export const ztunnelConfigCommand: Command = {
  name: 'ztunnel-config',
  summary: 'show services and workloads as ztunnel sees them, with their waypoints',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, {
      ...INPUT_FLAGS,
      ...KUBE_FLAGS,
      'xds-address': { type: 'string' },
      ...XDS_DIAL_FLAGS,
      namespace: { type: 'string', short: 'n' },
      'all-namespaces': { type: 'boolean', short: 'A' },
      output: { type: 'string', short: 'o', default: 'table' },
    });
    const what = oneOf('kind', positionals[0] ?? '', ['service', 'workload', 'services', 'workloads'] as const);
    if (positionals.length > 1) throw new UsageError(`unexpected argument ${positionals[1]}`);
    const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
    const ns = values['all-namespaces'] ? undefined : values.namespace;
    const service = what.startsWith('service');
    const header = service
      ? ['NAMESPACE', 'SERVICE NAME', 'SERVICE VIP', 'WAYPOINT', 'ENDPOINTS']
      : ['NAMESPACE', 'POD NAME', 'IP', 'NODE', 'WAYPOINT', 'PROTOCOL'];
    let rows: string[][];
    // A ztunnel config dump given with -f is read as istioctl reads it; manifests are laid over the cluster.
    const dump = values['xds-address'] ? undefined : readZtunnelDump(values.filename ?? []);
    if (values['xds-address']) {
      // What a ztunnel receives over xDS, rather than what we compute locally.
      const res = await queryDelta(
        values['xds-address'],
        TypeUrl.Address,
        `ztunnel~127.0.0.1~ztunnel-config-${process.pid}.istio-system~istio-system.svc.cluster.local`,
        5000,
        dialOf(values),
      );
      const t = tablesFromAddresses(res.resources.map((r) => r.resource?.value).filter((v): v is Buffer => !!v));
      rows = (service ? t.services : t.workloads).filter((r) => !ns || r[0] === ns);
    } else if (dump) {
      const t = dumpRows(dump);
      rows = (service ? t.services : t.workloads).filter((r) => !ns || r[0] === ns);
    } else {
      const { world, index } = await loadWorld({
        files: values.filename,
        recursive: values.recursive,
        kubeconfig: values.kubeconfig,
        context: values.context,
      });
      rows = service ? serviceRows(world, index, ns) : workloadRows(world, index, ns);
    }
    if (format === 'table') write(table(header, rows));
    else write(formatted(service ? rows.map(serviceValue) : rows.map(workloadValue), format));
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
