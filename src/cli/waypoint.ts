import YAML from 'yaml';
import type * as k8s from '@kubernetes/client-node';
import { LABEL, TRAFFIC_TYPES, WAYPOINT_CLASS, WAYPOINT_LISTENER, type Gateway } from '../model';
import type { Command } from './commands';
import { CommandError, UsageError } from './errors';
import { oneOf, parse, parseDuration } from './flags';
import { formatted, table, write } from './output';

const USAGE = `usage: istiod-lite waypoint generate|apply|list|delete|status [flags]

  generate  print a waypoint Gateway          (--name, --for, -r, -n)
  apply     create or update a waypoint       (--name, --for, -r, -n, --enroll-namespace, --overwrite, -w, --waypoint-timeout)
  list      list waypoints                    (-n, -A, -o)
  delete    delete waypoints by name, --all, or -r REVISION (-n)
  status    show waypoint conditions          (--name, -n, -o)

--for is service (default), workload, all or none.`;

const FLAGS = {
  name: { type: 'string', default: 'waypoint' },
  for: { type: 'string', default: 'service' },
  revision: { type: 'string', short: 'r' },
  namespace: { type: 'string', short: 'n', default: 'default' },
  'all-namespaces': { type: 'boolean', short: 'A' },
  'enroll-namespace': { type: 'boolean' },
  overwrite: { type: 'boolean' },
  wait: { type: 'boolean', short: 'w' },
  'waypoint-timeout': { type: 'string', default: '90s' },
  all: { type: 'boolean' },
  output: { type: 'string', short: 'o', default: 'table' },
  kubeconfig: { type: 'string' },
} as const;

export function waypointGateway(name: string, namespace: string, trafficType: string, revision?: string): Gateway {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: {
      labels: { [LABEL.waypointFor]: trafficType, ...(revision ? { [LABEL.rev]: revision } : {}) },
      name,
      namespace,
    },
    spec: { gatewayClassName: WAYPOINT_CLASS, listeners: [{ ...WAYPOINT_LISTENER }] },
  };
}

function programmed(gw: Gateway): string {
  return gw.status?.conditions?.find((c) => c.type === 'Programmed')?.status ?? 'False';
}

// The Kubernetes client is loaded when a subcommand talks to the cluster, not
// when any command starts (it takes about half a second to load).
const kubeApi = () => import('./kube-client');

async function listWaypoints(objects: k8s.KubernetesObjectApi, server: string, ns?: string): Promise<Gateway[]> {
  const { call } = await kubeApi();
  const res = await call('listing Gateways', server, () => objects.list('gateway.networking.k8s.io/v1', 'Gateway', ns));
  return (res.items as unknown as Gateway[])
    .filter((g) => g.spec?.gatewayClassName === WAYPOINT_CLASS)
    .sort((a, b) =>
      `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`),
    );
}

async function apply(values: Record<string, unknown>): Promise<void> {
  const v = values as {
    name: string;
    for: string;
    revision?: string;
    namespace: string;
    overwrite?: boolean;
    'enroll-namespace'?: boolean;
    wait?: boolean;
    'waypoint-timeout': string;
    kubeconfig?: string;
  };
  const { call, kubeClient, NotFound } = await kubeApi();
  const { kc, objects } = kubeClient(v.kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? 'the cluster';
  const gw = waypointGateway(v.name, v.namespace, v.for, v.revision);
  let existing: Gateway | undefined;
  try {
    existing = (await call(`reading Gateway ${v.namespace}/${v.name}`, server, () =>
      objects.read({ apiVersion: gw.apiVersion, kind: 'Gateway', metadata: { name: v.name, namespace: v.namespace } }),
    )) as unknown as Gateway;
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
  }
  if (existing && !v.overwrite) {
    const same =
      existing.spec?.gatewayClassName === WAYPOINT_CLASS &&
      existing.metadata.labels?.[LABEL.waypointFor] === v.for &&
      existing.metadata.labels?.[LABEL.rev] === v.revision;
    if (!same)
      throw new CommandError(
        `waypoint ${v.namespace}/${v.name} already exists with different settings; use --overwrite to replace them`,
      );
  }
  await call(`applying waypoint ${v.namespace}/${v.name}`, server, () =>
    objects.patch(
      gw as unknown as k8s.KubernetesObject,
      undefined,
      undefined,
      'istiod-lite',
      true,
      'application/apply-patch+yaml' as never,
    ),
  );
  write(`waypoint ${v.namespace}/${v.name} applied\n`);
  if (v['enroll-namespace']) {
    await call(`labeling namespace ${v.namespace}`, server, () =>
      objects.patch(
        {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: v.namespace, labels: { [LABEL.useWaypoint]: v.name } },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        'application/merge-patch+json' as never,
      ),
    );
    write(`namespace ${v.namespace} labeled with "${LABEL.useWaypoint}: ${v.name}"\n`);
  }
  if (v.wait) {
    const deadline = Date.now() + parseDuration('waypoint-timeout', v['waypoint-timeout']);
    for (;;) {
      const cur = (await call('reading waypoint status', server, () =>
        objects.read({
          apiVersion: gw.apiVersion,
          kind: 'Gateway',
          metadata: { name: v.name, namespace: v.namespace },
        }),
      )) as unknown as Gateway;
      if (programmed(cur) === 'True') break;
      if (Date.now() > deadline)
        throw new CommandError(`timed out waiting for waypoint ${v.namespace}/${v.name} to become Programmed`);
      await new Promise((r) => setTimeout(r, 500));
    }
    write(`waypoint ${v.namespace}/${v.name} is ready\n`);
  }
}

/**
 * Deletes the named waypoints, or with --all / -r every waypoint in the
 * namespace / of that revision (istioctl/pkg/waypoint/waypoint.go:
 * deleteWaypoints). Only Gateways of the waypoint class are ever deleted;
 * a name that is not one is reported and the others are still deleted, and
 * as in istioctl that alone does not fail the command.
 */
async function remove(
  v: { namespace: string; revision?: string; all?: boolean; 'all-namespaces'?: boolean; kubeconfig?: string },
  names: string[],
): Promise<void> {
  const bulk = v.all === true || v.revision !== undefined;
  if (v['all-namespaces'])
    throw new UsageError('delete acts on one namespace: name it with -n (--all-namespaces is not supported)');
  if (bulk && names.length > 0) throw new UsageError('cannot name waypoints together with --all or --revision');
  if (!bulk && names.length === 0)
    throw new UsageError('name the waypoints to delete, or pass --all, or --revision to delete one revision');
  if (v.revision === '') throw new UsageError('--revision needs a value');
  const { call, kubeClient, NotFound } = await kubeApi();
  const { kc, objects } = kubeClient(v.kubeconfig);
  const server = kc.getCurrentCluster()?.server ?? 'the cluster';
  const waypoints = await listWaypoints(objects, server, v.namespace);
  let targets: string[];
  if (bulk) {
    targets = waypoints
      .filter((g) => v.revision === undefined || g.metadata.labels?.[LABEL.rev] === v.revision)
      .map((g) => g.metadata.name);
    if (targets.length === 0)
      write(
        `no waypoints${v.revision !== undefined ? ` of revision ${v.revision}` : ''} in namespace ${v.namespace}\n`,
      );
  } else {
    const known = new Set(waypoints.map((g) => g.metadata.name));
    targets = [];
    for (const n of names) {
      if (known.has(n)) targets.push(n);
      else write(`waypoint ${v.namespace}/${n} not found\n`);
    }
  }
  const failures: string[] = [];
  for (const n of targets) {
    try {
      await call(`deleting waypoint ${v.namespace}/${n}`, server, () =>
        objects.delete({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: n, namespace: v.namespace },
        }),
      );
      write(`waypoint ${v.namespace}/${n} deleted\n`);
    } catch (e) {
      // Gone between the list and the delete: what was asked for holds.
      if (e instanceof NotFound) write(`waypoint ${v.namespace}/${n} not found\n`);
      else failures.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (failures.length > 0) throw new CommandError(failures.join('\n'));
}

export const waypointCommand: Command = {
  name: 'waypoint',
  summary: 'generate, apply, list, delete and inspect waypoints',
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parse(argv, FLAGS);
    const [sub, ...names] = positionals;
    oneOf('for', values.for, TRAFFIC_TYPES);
    switch (sub) {
      case 'generate':
        write(
          YAML.stringify(waypointGateway(values.name, values.namespace, values.for, values.revision), {
            indentSeq: false,
          }),
        );
        return;
      case 'apply':
        return apply(values);
      case 'list':
      case 'status': {
        const format = oneOf('output', values.output, ['table', 'json', 'yaml'] as const);
        const { kubeClient } = await kubeApi();
        const { kc, objects } = kubeClient(values.kubeconfig);
        const server = kc.getCurrentCluster()?.server ?? 'the cluster';
        let gws = await listWaypoints(objects, server, values['all-namespaces'] ? undefined : values.namespace);
        if (sub === 'status' && argv.some((a) => a === '--name' || a.startsWith('--name=')))
          gws = gws.filter((g) => g.metadata.name === values.name);
        if (format !== 'table') return write(formatted(gws, format));
        if (sub === 'list') {
          const rows = gws.map((g) => [
            ...(values['all-namespaces'] ? [g.metadata.namespace ?? ''] : []),
            g.metadata.name,
            g.metadata.labels?.[LABEL.rev] ?? 'default',
            g.metadata.labels?.[LABEL.waypointFor] ?? 'service',
            programmed(g),
          ]);
          return write(
            table(
              [...(values['all-namespaces'] ? ['NAMESPACE'] : []), 'NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'],
              rows,
            ),
          );
        }
        const rows = gws.flatMap((g) =>
          (
            g.status?.conditions ?? [
              { type: 'Programmed', status: 'Unknown', reason: 'Pending', message: 'no status yet' },
            ]
          ).map((c) => [g.metadata.namespace ?? '', g.metadata.name, c.status, c.type, c.reason, c.message]),
        );
        return write(table(['NAMESPACE', 'NAME', 'STATUS', 'TYPE', 'REASON', 'MESSAGE'], rows));
      }
      case 'delete':
        return remove(values, names);
      default:
        throw new UsageError(sub ? `unknown waypoint subcommand "${sub}"` : 'missing subcommand');
    }
  },
};
