// Golden files: each case is a directory of plain manifests (input*.yaml) and
// the outputs the translator must produce for it (out/). UPDATE_GOLDEN=1
// rewrites the outputs, deletes outputs no case produces any more, and prints
// what changed. Outputs are canonical (sorted keys, stable order) YAML, so a
// diff shows exactly what a change did to the configuration.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import YAML from 'yaml';

export const PROJECT_ROOT = join(__dirname, '..', '..', '..');
export const CASES_DIR = join(PROJECT_ROOT, 'test', 'golden', 'cases');
export const UPDATE = process.env.UPDATE_GOLDEN === '1';

export function caseNames(): string[] {
  if (!existsSync(CASES_DIR)) return [];
  return readdirSync(CASES_DIR)
    .filter((n) => statSync(join(CASES_DIR, n)).isDirectory())
    .sort();
}

/** Sorts object keys recursively so output does not depend on insertion order. */
export function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function render(v: unknown): string {
  return YAML.stringify(canonical(v), { lineWidth: 0, aliasDuplicateObjects: false });
}

function lineDiff(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const out: string[] = [];
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n && out.length < 40; i++) {
    if (x[i] !== y[i]) {
      if (x[i] !== undefined) out.push(`- ${x[i]}`);
      if (y[i] !== undefined) out.push(`+ ${y[i]}`);
    }
  }
  return out.join('\n');
}

/**
 * Compares (or, with UPDATE_GOLDEN=1, writes) the files of one case.
 * Returns mismatch descriptions; empty when everything matches.
 */
export function checkOutputs(caseDir: string, produced: Map<string, string>): string[] {
  const outDir = join(caseDir, 'out');
  const existing = existsSync(outDir) ? readdirSync(outDir).sort() : [];
  const problems: string[] = [];
  if (UPDATE) {
    mkdirSync(outDir, { recursive: true });
    for (const [file, text] of produced) {
      const path = join(outDir, file);
      const before = existsSync(path) ? readFileSync(path, 'utf8') : '';
      if (before !== text) {
        writeFileSync(path, text);
        process.stdout.write(`golden: wrote ${relative(PROJECT_ROOT, path)}\n${lineDiff(before, text)}\n`);
      }
    }
    for (const file of existing) {
      if (!produced.has(file)) {
        rmSync(join(outDir, file));
        process.stdout.write(`golden: removed stale ${relative(PROJECT_ROOT, join(outDir, file))}\n`);
      }
    }
    return problems;
  }
  for (const [file, text] of produced) {
    const path = join(outDir, file);
    if (!existsSync(path)) {
      problems.push(`${relative(PROJECT_ROOT, path)} is missing (run UPDATE_GOLDEN=1 npm test -- golden)`);
      continue;
    }
    const want = readFileSync(path, 'utf8');
    if (want !== text) problems.push(`${relative(PROJECT_ROOT, path)} differs:\n${lineDiff(want, text)}`);
  }
  for (const file of existing)
    if (!produced.has(file)) problems.push(`${relative(PROJECT_ROOT, join(outDir, file))} is no longer produced`);
  return problems;
}
