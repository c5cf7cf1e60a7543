import type * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiVersionOf, fieldManagerOf, kindInfo, type KubeObject, type World, get, type KindName } from '../model';
import type { ObjectStatus } from '../translate';
import { APPLY_PATCH, MERGE_PATCH, patchStatus } from './kube-api';

type Patch = k8s.PatchStrategy;
const APPLY = APPLY_PATCH as Patch;

/** Writes to the cluster, counting what it wrote (tests and metrics read it). */
export class ClusterWriter {
  writes = 0;
  private readonly fieldManager: string;

  constructor(
    private readonly api: k8s.KubernetesObjectApi,
    private readonly kc: k8s.KubeConfig,
    private readonly log: Logger,
    /** Our name in route and policy statuses; our field manager is spelled from it. */
    private readonly controllerName: string,
  ) {
    this.fieldManager = fieldManagerOf(controllerName);
  }

  /** Server-side apply under our one field manager. */
  async apply(obj: KubeObject): Promise<void> {
    this.writes++;
    await this.api.patch(obj as k8s.KubernetesObject, undefined, undefined, this.fieldManager, true, APPLY);
  }

  async ensure(obj: KubeObject): Promise<void> {
    try {
      await this.api.read(obj as k8s.KubernetesObject & { metadata: { name: string } });
    } catch (e) {
      if ((e as { code?: number }).code !== 404) throw e;
      this.writes++;
      await this.api.create(obj as k8s.KubernetesObject);
    }
  }

  /**
   * Writes a computed status when it differs from what the object has. Route
   * parents written by other controllers are kept.
   */
  async status(world: World, s: ObjectStatus, extra?: Record<string, unknown>): Promise<void> {
    const info = kindInfo(s.kind);
    if (!info) return;
    const current = (get(world, s.kind as KindName, s.namespace, s.name) ?? s.subject) as
      (KubeObject & { status?: Record<string, unknown> }) | undefined;
    if (!current) return;
    const status: Record<string, unknown> = { ...(extra ?? {}) };
    if (s.conditions) status.conditions = mergeConditions((current.status?.conditions as never[]) ?? [], s.conditions);
    if (s.parents) {
      if (s.kind === 'Gateway') {
        status.listeners = s.parents.map((p) => ({
          name: p.parentRef.name,
          attachedRoutes: 0,
          supportedKinds: [],
          conditions: p.conditions,
        }));
      } else {
        const others = ((current.status?.parents as { controllerName?: string }[] | undefined) ?? []).filter(
          (p) => p.controllerName !== this.controllerName,
        );
        status[s.kind.endsWith('Route') ? 'parents' : 'ancestors'] = [
          ...others,
          ...s.parents.map((p) => ({ ...p, controllerName: this.controllerName })),
        ];
      }
    }
    const same = Object.entries(status).every(
      ([k, v]) => JSON.stringify(stripTimes(current.status?.[k])) === JSON.stringify(stripTimes(v)),
    );
    if (same) return;
    this.writes++;
    try {
      const target = {
        kind: s.kind,
        namespace: s.namespace,
        name: s.name,
        apiVersion: current.apiVersion || apiVersionOf(info),
      };
      await patchStatus(this.kc, target, { status }, MERGE_PATCH, this.fieldManager);
    } catch (e) {
      this.log.warn(
        { kind: s.kind, namespace: s.namespace, name: s.name, error: e instanceof Error ? e.message : String(e) },
        'writing status failed',
      );
    }
  }
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** Keeps lastTransitionTime when a condition's status did not change. */
function mergeConditions(
  prev: { type: string; status: string; lastTransitionTime?: string }[],
  next: { type: string; status: string }[],
) {
  return next.map((c) => {
    const old = prev.find((p) => p.type === c.type);
    return {
      ...c,
      lastTransitionTime: old && old.status === c.status && old.lastTransitionTime ? old.lastTransitionTime : now(),
    };
  });
}

function stripTimes(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v ?? null, (k, x: unknown) => (k === 'lastTransitionTime' ? undefined : x)));
}
