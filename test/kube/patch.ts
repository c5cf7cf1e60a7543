// Patch formats the Kubernetes API accepts, written from their RFCs and the
// API conventions: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and a
// strategic merge that merges lists of objects by their key field.

type J = unknown;
const isObj = (v: J): v is Record<string, J> => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

export function mergePatch(target: J, patch: J): J {
  if (!isObj(patch)) return clone(patch);
  const out: Record<string, J> = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

// The strategic merge is the one the controller uses for waypoint overlays.
export { strategicMerge } from '../../src/controller/strategic-merge';

function pointer(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw new Error(`bad JSON pointer ${path}`);
  return path
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function walk(doc: J, parts: string[]): { parent: J; key: string } {
  let cur = doc;
  for (const p of parts.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(p)];
    else if (isObj(cur)) cur = cur[p];
    else throw new Error(`path not found at ${p}`);
  }
  return { parent: cur, key: parts[parts.length - 1] ?? '' };
}

export function jsonPatch(doc: J, ops: J): J {
  if (!Array.isArray(ops)) throw new Error('JSON patch must be a list of operations');
  let out = clone(doc);
  for (const op of ops) {
    if (!isObj(op) || typeof op.op !== 'string' || typeof op.path !== 'string')
      throw new Error('each operation needs op and path');
    const parts = pointer(op.path);
    const get = (path: string) => {
      const ps = pointer(path);
      const { parent, key } = walk(out, ps);
      return Array.isArray(parent) ? parent[Number(key)] : isObj(parent) ? parent[key] : undefined;
    };
    const set = (value: J, insert: boolean) => {
      if (parts.length === 0) {
        out = clone(value);
        return;
      }
      const { parent, key } = walk(out, parts);
      if (Array.isArray(parent)) {
        const i = key === '-' ? parent.length : Number(key);
        if (insert) parent.splice(i, 0, clone(value));
        else parent[i] = clone(value);
      } else if (isObj(parent)) parent[key] = clone(value);
      else throw new Error(`cannot set ${op.path}`);
    };
    const remove = (ps: string[]) => {
      const { parent, key } = walk(out, ps);
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else if (isObj(parent) && key in parent) delete parent[key];
      else throw new Error(`nothing to remove at /${ps.join('/')}`);
    };
    switch (op.op) {
      case 'add':
        set(op.value, true);
        break;
      case 'replace':
        set(op.value, false);
        break;
      case 'remove':
        remove(parts);
        break;
      case 'test':
        if (JSON.stringify(get(op.path)) !== JSON.stringify(op.value)) throw new Error(`test failed at ${op.path}`);
        break;
      case 'copy':
        set(get(String(op.from)), true);
        break;
      case 'move': {
        const v = get(String(op.from));
        remove(pointer(String(op.from)));
        set(v, true);
        break;
      }
      default:
        throw new Error(`unknown op ${op.op}`);
    }
  }
  return out;
}

/** Server-side apply, simplified: the applied fields win; lists are replaced. */
export function applyPatch(target: J, applied: J): J {
  if (!isObj(applied)) return clone(applied);
  const out: Record<string, J> = isObj(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(applied)) out[k] = isObj(v) && isObj(out[k]) ? applyPatch(out[k], v) : clone(v);
  return out;
}
