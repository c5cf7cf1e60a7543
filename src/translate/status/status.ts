import type { Condition, KubeObject, ParentReference } from '../../model';

/** A status the control plane computed for one object; the controller writes it. */
export interface ObjectStatus {
  kind: string;
  namespace?: string;
  name: string;
  /** For routes: one entry per parentRef. */
  parents?: { parentRef: Partial<ParentReference>; controllerName?: string; conditions: Condition[] }[];
  /** For policies and everything else: conditions on the object itself. */
  conditions?: Condition[];
  /** The object, when the World does not hold it (refused at load); the writer patches it by name. */
  subject?: KubeObject;
}

export function condition(
  type: string,
  ok: boolean,
  reason: string,
  message: string,
  observedGeneration?: number,
): Condition {
  return {
    type,
    status: ok ? 'True' : 'False',
    reason,
    message,
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
}

/** Collects statuses as they are computed; later entries for the same object merge in. */
export class StatusSink {
  private readonly byKey = new Map<string, ObjectStatus>();

  add(s: ObjectStatus): void {
    const key = `${s.kind}/${s.namespace ?? ''}/${s.name}`;
    const prev = this.byKey.get(key);
    if (!prev) {
      this.byKey.set(key, { ...s });
      return;
    }
    if (s.parents) prev.parents = [...(prev.parents ?? []), ...s.parents];
    if (s.conditions) prev.conditions = [...(prev.conditions ?? []), ...s.conditions];
  }

  all(): ObjectStatus[] {
    return [...this.byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
  }
}
