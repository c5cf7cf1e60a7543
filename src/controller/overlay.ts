// Overlays a waypoint's generated objects with the user's ConfigMaps, as
// istiod's deployment controller does (gatewaycommon/deploymentcontroller.go
// `applyOverlay`): a class-wide ConfigMap in the system namespace labelled
// `gateway.istio.io/defaults-for-class: <class>`, then the Gateway's own
// `spec.infrastructure.parametersRef`. Each key holds YAML strategic-merged
// onto the object of its kind.
import { load } from 'js-yaml';
import type { Gateway, KubeObject } from '../model';
import { strategicMerge } from './strategic-merge';

/** The label that makes a ConfigMap in the system namespace the defaults of a GatewayClass. */
export const DEFAULTS_FOR_CLASS = 'gateway.istio.io/defaults-for-class';

/** Overlay keys and the kind each applies to. */
const KEY_OF_KIND: Readonly<Record<string, string>> = {
  Deployment: 'deployment',
  Service: 'service',
  ServiceAccount: 'serviceAccount',
};
/** Keys istiod reads that create objects we do not make yet: refused rather than ignored. */
const NOT_YET = new Set(['horizontalPodAutoscaler', 'podDisruptionBudget']);

export interface OverlaySource {
  /** `<namespace>/<name>` of the ConfigMap, for messages. */
  ref: string;
  data: Readonly<Record<string, string>>;
}

export class OverlayError extends Error {}

/** The ConfigMap a Gateway's parametersRef names, or undefined; an unsupported reference is an error. */
export function parametersRefOf(gw: Gateway): { namespace: string; name: string } | undefined {
  const ref = (gw.spec as { infrastructure?: { parametersRef?: { group?: string; kind?: string; name?: string } } })
    ?.infrastructure?.parametersRef;
  if (!ref) return undefined;
  if ((ref.group ?? '') !== '' || ref.kind !== 'ConfigMap' || !ref.name) {
    throw new OverlayError(
      `spec.infrastructure.parametersRef must name a core ConfigMap; got ${ref.group || 'core'}/${ref.kind} ${ref.name ?? ''}`,
    );
  }
  return { namespace: gw.metadata.namespace ?? 'default', name: ref.name };
}

/** The objects with every source's overlay applied in order; names and namespaces may not change. */
export function applyOverlays(objects: readonly KubeObject[], sources: readonly OverlaySource[]): KubeObject[] {
  for (const s of sources) {
    for (const key of Object.keys(s.data)) {
      if (NOT_YET.has(key)) throw new OverlayError(`ConfigMap ${s.ref}: ${key} is not supported by istiod-lite yet`);
      if (!Object.values(KEY_OF_KIND).includes(key)) {
        throw new OverlayError(
          `ConfigMap ${s.ref}: unsupported overlay ${key} (supported: ${Object.values(KEY_OF_KIND).join(', ')})`,
        );
      }
    }
  }
  return objects.map((obj) => {
    const key = KEY_OF_KIND[obj.kind];
    let out = obj;
    for (const s of sources) {
      const text = key ? s.data[key] : undefined;
      if (text === undefined) continue;
      let patch: unknown;
      try {
        patch = load(text);
      } catch (e) {
        throw new OverlayError(
          `ConfigMap ${s.ref}: ${key}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`,
        );
      }
      if (patch === null || patch === undefined) continue;
      if (typeof patch !== 'object' || Array.isArray(patch)) {
        throw new OverlayError(`ConfigMap ${s.ref}: ${key}: must be a YAML mapping`);
      }
      out = strategicMerge(out, patch) as KubeObject;
      if (out.metadata?.name !== obj.metadata.name || out.metadata?.namespace !== obj.metadata.namespace) {
        throw new OverlayError(`ConfigMap ${s.ref}: ${key}: may not change the object's name or namespace`);
      }
    }
    return out;
  });
}
