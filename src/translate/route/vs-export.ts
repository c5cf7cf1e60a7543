import YAML from 'yaml';
import { get, MESH_CONFIGMAP, type World } from '../../model';
import type { Reads } from '../reads';

// The mesh config's defaultVirtualServiceExportTo: where a VirtualService
// without exportTo is visible (push_context.go: initDefaultExportMaps;
// virtualservice_controller.go: defaultExportTo). Unset means `*`.

const MEMO = new WeakMap<object, readonly string[]>();
const PUBLIC: readonly string[] = ['*'];

export function defaultVirtualServiceExportTo(world: World, rootNamespace: string, reads?: Reads): readonly string[] {
  reads?.object('ConfigMap', rootNamespace, MESH_CONFIGMAP);
  const cm = get(world, 'ConfigMap', rootNamespace, MESH_CONFIGMAP);
  if (!cm) return PUBLIC;
  const hit = MEMO.get(cm);
  if (hit) return hit;
  let out = PUBLIC;
  try {
    const mesh = YAML.parse(cm.data?.['mesh'] ?? '') as { defaultVirtualServiceExportTo?: unknown } | null;
    const v = mesh?.defaultVirtualServiceExportTo;
    if (Array.isArray(v)) out = v.filter((x): x is string => typeof x === 'string');
  } catch {
    // An unreadable mesh config was reported at load; the default stands.
  }
  MEMO.set(cm, out);
  return out;
}
