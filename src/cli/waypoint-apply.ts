import type * as k8s from '@kubernetes/client-node';
import { LABEL, TRAFFIC_TYPES, WAYPOINT_CLASS, type Gateway, type TrafficType } from '../model';
import { CommandError } from './errors';
import { oneOf, parseDuration } from './flags';
import { write } from './output';
import { call, clientIn, NotFound } from './kube-client';
import { programmed, waypointGateway } from './waypoint-gateway';

type Values = Record<string, string | boolean | undefined>;

async function readNamespace(
  objects: k8s.KubernetesObjectApi,
  server: string,
  ns: string,
): Promise<Record<string, string>> {
  try {
    const obj = await call(`reading namespace ${ns}`, server, () =>
      objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }),
    );
    return obj.metadata?.labels ?? {};
  } catch (e) {
    // istioctl waypoint.go getNamespace: a missing namespace is an error of its own.
    if (e instanceof NotFound) throw new CommandError(`namespace ${ns} not found`);
    throw e;
  }
}

/**
 * Waits until the Gateway is Programmed, saying once that it waits and then
 * each 10 s how long it has (istioctl waypoint.go apply --wait polls each second).
 */
async function waitProgrammed(
  objects: k8s.KubernetesObjectApi,
  server: string,
  ns: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const start = Date.now();
  let said = 0;
  for (;;) {
    let cur: Gateway | undefined;
    try {
      cur = (await call(`reading waypoint ${ns}/${name}`, server, () =>
        objects.read({
          apiVersion: 'gateway.networking.k8s.io/v1',
          kind: 'Gateway',
          metadata: { name, namespace: ns },
        }),
      )) as unknown as Gateway;
    } catch (e) {
      if (!(e instanceof NotFound)) throw e;
    }
    if (cur && programmed(cur) === 'True') return;
    const waited = Date.now() - start;
    if (waited > timeoutMs) {
      const cond = cur?.status?.conditions?.find((c) => c.type === 'Programmed');
      throw new CommandError(
        `timed out waiting for waypoint ${ns}/${name} to be Programmed${cond ? ` (${cond.reason}: ${cond.message})` : ''}`,
      );
    }
    if (said === 0 || waited - said >= 10_000) {
      process.stderr.write(
        said === 0
          ? `waiting for waypoint ${ns}/${name} to be Programmed…\n`
          : `still waiting for waypoint ${ns}/${name} (${Math.round(waited / 1000)}s)…\n`,
      );
      said = Math.max(waited, 1);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** `waypoint apply` (istioctl/pkg/waypoint/waypoint.go: waypointApplyCmd). */
export async function apply(v: Values): Promise<void> {
  const name = String(v.name ?? 'waypoint');
  if (name === 'none')
    throw new CommandError('"none" is reserved (istio.io/use-waypoint=none opts out); pick another --name');
  const forType: TrafficType = oneOf('for', String(v.for), TRAFFIC_TYPES);
  const revision = v.revision as string | undefined;
  const timeoutMs = parseDuration('waypoint-timeout', String(v['waypoint-timeout']));
  const enroll = v['enroll-namespace'] === true;
  const overwrite = v.overwrite === true;
  // Flags are checked before the cluster is looked for.
  const { objects, server, ns } = await clientIn(v);

  // Checked before anything is written, so a refusal changes nothing.
  if (enroll) {
    const labels = await readNamespace(objects, server, ns);
    const current = labels[LABEL.useWaypoint];
    if (current && current !== name && !overwrite)
      throw new CommandError(
        `namespace ${ns} already uses waypoint "${current}"; pass --overwrite to make it use "${name}"`,
      );
    if (labels[LABEL.dataplaneMode] !== 'ambient')
      process.stderr.write(
        `warning: namespace ${ns} is not in the ambient mesh, so its traffic will not reach the waypoint; ` +
          `run "kubectl label namespace ${ns} ${LABEL.dataplaneMode}=ambient"\n`,
      );
  }

  const gw = waypointGateway(name, ns, forType, revision);
  let existing: Gateway | undefined;
  try {
    existing = (await call(`reading Gateway ${ns}/${name}`, server, () =>
      objects.read({ apiVersion: gw.apiVersion, kind: 'Gateway', metadata: { name, namespace: ns } }),
    )) as unknown as Gateway;
  } catch (e) {
    if (!(e instanceof NotFound)) throw e;
  }
  if (existing && !overwrite) {
    const same =
      existing.spec?.gatewayClassName === WAYPOINT_CLASS &&
      existing.metadata.labels?.[LABEL.waypointFor] === forType &&
      existing.metadata.labels?.[LABEL.rev] === revision;
    if (!same)
      throw new CommandError(
        `waypoint ${ns}/${name} already exists with different settings; use --overwrite to replace them`,
      );
  }
  await call(`applying waypoint ${ns}/${name}`, server, () =>
    objects.patch(
      gw as unknown as k8s.KubernetesObject,
      undefined,
      undefined,
      'istiod-lite',
      true,
      'application/apply-patch+yaml' as never,
    ),
  );
  write(`waypoint ${ns}/${name} applied\n`);
  // istioctl labels the namespace after its optional wait; we always wait
  // first when enrolling, so no traffic is sent to a waypoint not yet running.
  if (v.wait === true || enroll) {
    await waitProgrammed(objects, server, ns, name, timeoutMs);
    if (v.wait === true) write(`waypoint ${ns}/${name} is ready\n`);
  }
  if (enroll) {
    await call(`labeling namespace ${ns}`, server, () =>
      objects.patch(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns, labels: { [LABEL.useWaypoint]: name } } },
        undefined,
        undefined,
        undefined,
        undefined,
        'application/merge-patch+json' as never,
      ),
    );
    write(`namespace ${ns} labeled with "${LABEL.useWaypoint}: ${name}"\n`);
  }
}
