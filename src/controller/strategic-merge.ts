// Kubernetes' strategic merge, as far as the objects we write need it: maps
// merge key by key (null deletes), lists of objects that the API merges by a
// key field merge element by element (`$patch: delete` removes one), and every
// other list is replaced. The merge keys are those of the core types' fields
// (`patchMergeKey` in their definitions).

type J = unknown;
const isObj = (v: J): v is Record<string, J> => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** List fields merged element by element, keyed by the named field. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'port',
  conditions: 'type',
  imagePullSecrets: 'name',
};

export function strategicMerge(target: J, patch: J, field = ''): J {
  if (Array.isArray(patch)) {
    const key = MERGE_KEYS[field];
    if (!key || !Array.isArray(target)) return clone(patch);
    // Container ports are keyed by containerPort, Service ports by port.
    const keyOf = (x: J) => (isObj(x) ? (x[key] ?? x.containerPort ?? x.name) : undefined);
    const out = clone(target) as J[];
    for (const item of patch) {
      if (isObj(item) && item.$patch === 'delete') {
        const i = out.findIndex((x) => keyOf(x) === keyOf(item));
        if (i >= 0) out.splice(i, 1);
        continue;
      }
      const i = out.findIndex((x) => keyOf(x) !== undefined && keyOf(x) === keyOf(item));
      if (i >= 0) out[i] = strategicMerge(out[i], item);
      else out.push(clone(item));
    }
    return out;
  }
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, J> = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = strategicMerge(out[k], v, k);
  }
  return out;
}
