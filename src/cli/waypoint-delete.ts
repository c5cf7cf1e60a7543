import { LABEL } from '../model';
import { CommandError, UsageError } from './errors';
import { write } from './output';
import { call, clientIn, NotFound } from './kube-client';
import { listWaypoints } from './waypoint-gateway';

type Values = Record<string, string | boolean | undefined>;

/**
 * Deletes the named waypoints, or with --all / -r every waypoint in the
 * namespace / of that revision (istioctl/pkg/waypoint/waypoint.go:
 * deleteWaypoints). Only Gateways of the waypoint class are ever deleted;
 * a name that is not one is reported and the others are still deleted, and
 * as in istioctl that alone does not fail the command.
 */
export async function remove(v: Values, names: string[]): Promise<void> {
  const revision = v.revision as string | undefined;
  const bulk = v.all === true || revision !== undefined;
  if (v['all-namespaces'])
    throw new UsageError('delete acts on one namespace: name it with -n (--all-namespaces is not supported)');
  if (bulk && names.length > 0) throw new UsageError('cannot name waypoints together with --all or --revision');
  if (!bulk && names.length === 0)
    throw new UsageError('name the waypoints to delete, or pass --all, or --revision to delete one revision');
  if (revision === '') throw new UsageError('--revision needs a value');
  const { objects, server, ns } = await clientIn(v);
  const waypoints = await listWaypoints(objects, server, ns);
  let targets: string[];
  if (bulk) {
    targets = waypoints
      .filter((g) => revision === undefined || g.metadata.labels?.[LABEL.rev] === revision)
      .map((g) => g.metadata.name);
    if (targets.length === 0)
      write(`no waypoints${revision !== undefined ? ` of revision ${revision}` : ''} in namespace ${ns}\n`);
  } else {
    const known = new Set(waypoints.map((g) => g.metadata.name));
    targets = [];
    for (const n of names) {
      if (known.has(n)) targets.push(n);
      else write(`waypoint ${ns}/${n} not found\n`);
    }
  }
  const failures: string[] = [];
  for (const n of targets) {
    try {
      await call(`deleting waypoint ${ns}/${n}`, server, () =>
        objects.delete({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name: n, namespace: ns },
        }),
      );
      write(`waypoint ${ns}/${n} deleted\n`);
    } catch (e) {
      // Gone between the list and the delete: what was asked for holds.
      if (e instanceof NotFound) write(`waypoint ${ns}/${n} not found\n`);
      else failures.push(e instanceof Error ? e.message : String(e));
    }
  }
  if (failures.length > 0) throw new CommandError(failures.join('\n'));
}
