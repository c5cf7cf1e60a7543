// The status of an object refused at load (it got into the cluster without
// the webhook): the parents or targets it names say Accepted=False /
// WaypointAccepted=False with reason Invalid and the field paths, so
// `kubectl get -o yaml` shows why the object has no effect. Its last good
// version, if any, is what is still served.
import { isCoreServiceRef } from '../../model/refs';
import { parentRefGroup } from '../../model/defaults';
import { CONDITION, MESH_CONTROLLER, type KubeObject, type ParentReference, type Targeting } from '../../model';
import { condition, type ObjectStatus } from './status';
import { targetRefsOf } from '../policy/targeting';

const ROUTES = new Set(['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute']);
const POLICIES = new Set(['AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin', 'EnvoyFilter']);

export function refusedStatus(object: KubeObject, problems: readonly string[]): ObjectStatus | undefined {
  const gen = object.metadata.generation;
  const message = `refused: ${problems.join('; ')}`;
  const base = { kind: object.kind, namespace: object.metadata.namespace, name: object.metadata.name, subject: object };
  if (ROUTES.has(object.kind)) {
    const refs = ((object.spec as { parentRefs?: ParentReference[] } | undefined)?.parentRefs ?? []).filter((r) =>
      isCoreServiceRef(parentRefGroup(r), r.kind),
    );
    if (refs.length === 0) return undefined;
    return {
      ...base,
      parents: refs.map((parentRef) => ({
        parentRef,
        controllerName: MESH_CONTROLLER,
        conditions: [condition('Accepted', false, 'Invalid', message, gen)],
      })),
    };
  }
  if (POLICIES.has(object.kind)) {
    const targets = targetRefsOf(object.spec as Targeting | undefined);
    if (targets.length === 0) return undefined;
    return {
      ...base,
      parents: targets.map((t) => ({
        parentRef: { group: t.group, kind: t.kind, name: t.name, namespace: object.metadata.namespace },
        controllerName: MESH_CONTROLLER,
        conditions: [condition(CONDITION.waypointAccepted, false, 'Invalid', message, gen)],
      })),
    };
  }
  return undefined;
}

/** Statuses with those of refused objects in place of what their last good versions earned. */
export function withRefusals(
  statuses: readonly ObjectStatus[],
  refusals: readonly { object: KubeObject; problems: readonly string[] }[],
): readonly ObjectStatus[] {
  if (refusals.length === 0) return statuses;
  const extra = refusals.flatMap((r) => {
    // A fail-closed object is served: its own status already carries the problems.
    if (r.object.kind === 'AuthorizationPolicy') return [];
    const s = refusedStatus(r.object, r.problems);
    return s ? [s] : [];
  });
  const key = (s: ObjectStatus) => `${s.kind}/${s.namespace ?? ''}/${s.name}`;
  const replaced = new Set(extra.map(key));
  return [...statuses.filter((s) => !replaced.has(key(s))), ...extra];
}
