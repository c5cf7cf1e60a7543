import YAML from 'yaml';

/** Columns padded like istioctl's tables (tabwriter, 3 spaces between columns). */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd((widths[i] ?? 0) + 3)))
      .join('')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

export function formatted(value: unknown, format: 'json' | 'yaml'): string {
  return format === 'json'
    ? JSON.stringify(value, null, 2) + '\n'
    : YAML.stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function write(s: string): void {
  process.stdout.write(s);
}
