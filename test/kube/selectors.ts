// Label and field selectors as list/watch requests carry them.

type Req = (labels: Record<string, string>) => boolean;

export function parseLabelSelector(s: string | null): Req {
  if (!s) return () => true;
  const reqs: Req[] = [];
  // Split on commas that are not inside parentheses.
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  for (const raw of parts) {
    const p = raw.trim();
    if (!p) continue;
    let m: RegExpExecArray | null;
    if ((m = /^(\S+)\s+(in|notin)\s+\((.*)\)$/.exec(p))) {
      const [, key = '', op, list = ''] = m;
      const vals = list.split(',').map((x) => x.trim());
      reqs.push(
        op === 'in'
          ? (l) => key in l && vals.includes(l[key] ?? '')
          : (l) => !(key in l) || !vals.includes(l[key] ?? ''),
      );
    } else if ((m = /^([^!=\s]+)\s*!=\s*(.*)$/.exec(p))) {
      const [, key = '', val = ''] = m;
      reqs.push((l) => l[key] !== val);
    } else if ((m = /^([^!=\s]+)\s*==?\s*(.*)$/.exec(p))) {
      const [, key = '', val = ''] = m;
      reqs.push((l) => l[key] === val);
    } else if (p.startsWith('!')) {
      const key = p.slice(1);
      reqs.push((l) => !(key in l));
    } else {
      reqs.push((l) => p in l);
    }
  }
  return (l) => reqs.every((r) => r(l));
}

export function parseFieldSelector(s: string | null): (meta: { name: string; namespace?: string }) => boolean {
  if (!s) return () => true;
  const reqs = s.split(',').map((p) => {
    const neq = p.includes('!=');
    const [field = '', value = ''] = p.split(neq ? '!=' : /==?/);
    const get = (m: { name: string; namespace?: string }) =>
      field === 'metadata.name' ? m.name : field === 'metadata.namespace' ? (m.namespace ?? '') : undefined;
    return (m: { name: string; namespace?: string }) => (neq ? get(m) !== value : get(m) === value);
  });
  return (m) => reqs.every((r) => r(m));
}
