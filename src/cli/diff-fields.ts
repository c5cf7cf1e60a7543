import type { Json } from '../envoy';

/** One field that differs: its path, and its value before and after (undefined: absent). */
export interface FieldChange {
  path: string;
  before?: Json;
  after?: Json;
}

type Obj = { [k: string]: Json };

function isObject(j: Json | undefined): j is Obj {
  return j !== null && typeof j === 'object' && !Array.isArray(j);
}

/**
 * The key a list element is matched by when every element of both lists has
 * a distinct string `name` (clusters' filter chains, route virtual hosts…):
 * then a removed element shows as one removal instead of every later index
 * shifting. Otherwise elements are matched by index.
 */
function nameKeys(a: readonly Json[], b: readonly Json[]): boolean {
  for (const list of [a, b]) {
    const seen = new Set<string>();
    for (const e of list) {
      if (!isObject(e) || typeof e.name !== 'string' || seen.has(e.name)) return false;
      seen.add(e.name);
    }
  }
  return a.length + b.length > 0;
}

function walk(path: string, a: Json | undefined, b: Json | undefined, out: FieldChange[]): void {
  if (a === b) return;
  if (isObject(a) && isObject(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) walk(path ? `${path}.${k}` : k, a[k], b[k], out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (nameKeys(a, b)) {
      const byName = (l: readonly Json[]) => new Map(l.map((e) => [(e as Obj).name as string, e]));
      const am = byName(a);
      const bm = byName(b);
      // Kept in the order of the new list, then the removed ones in their old order.
      const names = [...bm.keys(), ...[...am.keys()].filter((n) => !bm.has(n))];
      for (const n of names) walk(`${path}[name=${n}]`, am.get(n), bm.get(n), out);
      const order = (l: Map<string, Json>) => [...l.keys()].filter((n) => am.has(n) && bm.has(n)).join('\n');
      if (order(am) !== order(bm))
        out.push({ path: `${path}[*].name (order)`, before: [...am.keys()], after: [...bm.keys()] });
      return;
    }
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(`${path}[${i}]`, a[i], b[i], out);
    return;
  }
  if (a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b)) return;
  out.push({ path: path || '.', ...(a !== undefined ? { before: a } : {}), ...(b !== undefined ? { after: b } : {}) });
}

/** Every leaf field that differs between two decoded resources, in a stable order. */
export function fieldDiff(before: Json, after: Json): FieldChange[] {
  const out: FieldChange[] = [];
  walk('', before, after, out);
  return out;
}

/** A value for one line of text output: JSON, cut short past `max` characters. */
export function shortValue(v: Json | undefined, max = 120): string {
  if (v === undefined) return '(absent)';
  const s = JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
