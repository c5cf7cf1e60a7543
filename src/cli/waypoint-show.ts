import type * as k8s from '@kubernetes/client-node';
import { LABEL, type Gateway } from '../model';
import { CommandError } from './errors';
import { oneOf, parseDuration } from './flags';
import { formatted, table, write } from './output';
import { call, kubeClient, NotFound } from './kube-client';
import { listWaypoints, programmed } from './waypoint-gateway';

type Values = Record<string, string | boolean | undefined>;

const NONE = 'No waypoints found.\n';

/** The Gateways as stored, minus the server's field bookkeeping (as kubectl get omits it). */
function withoutManagedFields(gws: Gateway[]): Gateway[] {
  return gws.map((g) => {
    const { managedFields: _drop, ...metadata } = g.metadata as Gateway['metadata'] & { managedFields?: unknown };
    void _drop;
    return { ...g, metadata };
  });
}

async function target(v: Values) {
  const t = await kubeClient({
    kubeconfig: v.kubeconfig as string | undefined,
    context: v.context as string | undefined,
  });
  const all = v['all-namespaces'] === true;
  const ns = all ? undefined : ((v.namespace as string | undefined) ?? t.namespace);
  return { ...t, ns, all };
}

/** `waypoint list` (istioctl/pkg/waypoint/waypoint.go: waypointListCmd). */
export async function list(v: Values): Promise<void> {
  const format = oneOf('output', String(v.output), ['table', 'json', 'yaml'] as const);
  const { objects, server, ns, all } = await target(v);
  const gws = await listWaypoints(objects, server, ns);
  if (format !== 'table') return write(formatted(withoutManagedFields(gws), format));
  if (gws.length === 0) return write(NONE);
  const rows = gws.map((g) => [
    ...(all ? [g.metadata.namespace ?? ''] : []),
    g.metadata.name,
    g.metadata.labels?.[LABEL.rev] ?? 'default',
    // An unlabelled waypoint: istioctl prints "none" (waypointListCmd).
    g.metadata.labels?.[LABEL.waypointFor] ?? 'none',
    programmed(g),
  ]);
  write(table([...(all ? ['NAMESPACE'] : []), 'NAME', 'REVISION', 'TRAFFIC TYPE', 'PROGRAMMED'], rows));
}

function conditionRows(g: Gateway): string[][] {
  const cond = g.status?.conditions?.find((c) => c.type === 'Programmed') ?? {
    type: 'Programmed',
    status: 'Unknown',
    reason: 'Pending',
    message: 'no status yet',
  };
  return [[g.metadata.namespace ?? '', g.metadata.name, cond.status, cond.type, cond.reason, cond.message]];
}

const HEADER = ['NAMESPACE', 'NAME', 'STATUS', 'TYPE', 'REASON', 'MESSAGE'];

async function reread(objects: k8s.KubernetesObjectApi, server: string, g: Gateway): Promise<Gateway | undefined> {
  try {
    return (await call(`reading waypoint ${g.metadata.namespace}/${g.metadata.name}`, server, () =>
      objects.read({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        metadata: { name: g.metadata.name, namespace: g.metadata.namespace },
      }),
    )) as unknown as Gateway;
  } catch (e) {
    if (e instanceof NotFound) return undefined;
    throw e;
  }
}

/**
 * `waypoint status` (istioctl/pkg/waypoint/waypoint.go: printWaypointStatus):
 * each waypoint's Programmed condition, re-read each second until it is
 * True or --waypoint-timeout passes, unless --wait=false. istioctl buffers a
 * row per poll; we print each waypoint's final condition once, and the
 * waiting on stderr.
 */
export async function status(v: Values): Promise<void> {
  const format = oneOf('output', String(v.output), ['table', 'json', 'yaml'] as const);
  const wait = v['no-wait'] !== true;
  const timeoutMs = parseDuration('waypoint-timeout', String(v['waypoint-timeout']));
  const { objects, server, ns } = await target(v);
  let gws = await listWaypoints(objects, server, ns);
  if (v.name !== undefined) gws = gws.filter((g) => g.metadata.name === v.name);
  if (gws.length === 0) return write(format === 'table' ? NONE : formatted([], format));
  const start = Date.now();
  const final: Gateway[] = [];
  for (let g of gws) {
    let said = false;
    while (wait && programmed(g) !== 'True') {
      if (Date.now() - start > timeoutMs)
        throw new CommandError(
          `timed out waiting for waypoint ${g.metadata.namespace}/${g.metadata.name} to be Programmed` +
            ` (${conditionRows(g)[0]?.slice(4).join(': ')})`,
        );
      if (!said)
        process.stderr.write(`waiting for waypoint ${g.metadata.namespace}/${g.metadata.name} to be Programmed…\n`);
      said = true;
      await new Promise((r) => setTimeout(r, 1000));
      const next = await reread(objects, server, g);
      if (!next) throw new CommandError(`waypoint ${g.metadata.namespace}/${g.metadata.name} was deleted`);
      g = next;
    }
    final.push(g);
  }
  write(
    format === 'table' ? table(HEADER, final.flatMap(conditionRows)) : formatted(withoutManagedFields(final), format),
  );
}
