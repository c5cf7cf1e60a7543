import YAML from 'yaml';
import { derive } from '../derived';
import { MESH_CONFIGMAP, readObject, recorded, type ConfigMap, type World } from '../../model';
import type { Reads } from '../reads';

// The mesh config's defaultVirtualServiceExportTo: where a VirtualService
// without exportTo is visible (push_context.go: initDefaultExportMaps;
// virtualservice_controller.go: defaultExportTo). Unset means `*`.

const PUBLIC: readonly string[] = ['*'];

const exportToOf = derive((cm: ConfigMap): readonly string[] => {
  try {
    const mesh = YAML.parse(cm.data?.['mesh'] ?? '') as { defaultVirtualServiceExportTo?: unknown } | null;
    const v = mesh?.defaultVirtualServiceExportTo;
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  } catch {
    // An unreadable mesh config was reported at load; the default stands.
  }
  return PUBLIC;
});

export function defaultVirtualServiceExportTo(world: World, rootNamespace: string, reads?: Reads): readonly string[] {
  const cm = readObject(recorded(world, reads), 'ConfigMap', rootNamespace, MESH_CONFIGMAP);
  return cm ? exportToOf(cm) : PUBLIC;
}
