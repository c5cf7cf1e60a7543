// The folder import rules docs/architecture.md states, checked against the
// source: a change that adds an edge the table does not allow fails here,
// naming the file and the import.
import { strict as assert } from 'node:assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = join(__dirname, '..', '..', '..');
const SRC = join(ROOT, 'src');

/** Which folders of src/ each folder may import (cli may import any; none may import cli). */
const MAY_IMPORT: Record<string, readonly string[]> = {
  envoy: [],
  model: ['envoy'],
  validate: ['envoy'],
  ambient: ['model'],
  translate: ['model', 'ambient', 'envoy', 'validate'],
  xds: ['envoy', 'model'],
  watch: ['model'],
  jwks: ['model'],
  webhook: ['model'],
  explain: ['model', 'ambient', 'translate'],
  controller: ['model', 'translate'],
  ca: ['model', 'envoy', 'xds', 'controller'],
  debug: ['model', 'ambient', 'envoy', 'explain', 'translate', 'xds'],
  server: [
    'ambient',
    'ca',
    'controller',
    'debug',
    'envoy',
    'jwks',
    'model',
    'translate',
    'validate',
    'watch',
    'webhook',
    'xds',
  ],
};

/** Node modules the pure layers may use: hashing is deterministic; nothing does I/O or reads a clock. */
const PURE = ['model', 'ambient', 'translate', 'validate'];
const PURE_NODE_MODULES = ['node:crypto'];

interface Import {
  file: string;
  spec: string;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'generated' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(
    /(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g,
  ))
    out.push({ file: relative(ROOT, file), spec: (m[1] ?? m[2])! });
  return out;
}

/** The folder of src/ a file or import target belongs to ('' for a file directly in src/). */
function folderOf(path: string): string {
  const parts = relative(SRC, path).split(sep);
  if (parts.length > 1) return parts[0]!;
  // `../model` names the folder (its index); `../version` a file in src/.
  return existsSync(join(SRC, parts[0]!)) && statSync(join(SRC, parts[0]!)).isDirectory() ? parts[0]! : '';
}

const IMPORTS = sources(SRC).flatMap(importsOf);

describe('folder layering', () => {
  it('every folder imports only the folders the architecture allows, and none imports cli', () => {
    const bad: string[] = [];
    for (const { file, spec } of IMPORTS) {
      if (!spec.startsWith('.')) continue;
      const from = folderOf(join(ROOT, file));
      const to = folderOf(join(dirname(join(ROOT, file)), spec));
      if (from === to || from === '' || to === '' || from === 'cli') continue;
      const allowed = MAY_IMPORT[from];
      if (!allowed) bad.push(`${file}: folder src/${from} is not in the layering table (docs/architecture.md)`);
      else if (!allowed.includes(to)) bad.push(`${file}: src/${from} may not import src/${to} ('${spec}')`);
    }
    assert.deepEqual(bad, []);
  });

  it('the pure layers use no Node module that does I/O', () => {
    const bad = IMPORTS.filter(
      ({ file, spec }) =>
        PURE.includes(folderOf(join(ROOT, file))) && spec.startsWith('node:') && !PURE_NODE_MODULES.includes(spec),
    ).map(({ file, spec }) => `${file}: ${spec}`);
    assert.deepEqual(bad, []);
  });

  it('every index.ts in src/ only re-exports, so what a folder holds is in files named for it', () => {
    const bad: string[] = [];
    let seen = 0;
    for (const file of sources(SRC).filter((f) => f.endsWith(`${sep}index.ts`))) {
      seen++;
      const code = readFileSync(file, 'utf8')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .replace(/^\s*\/\/.*$/gm, '');
      for (const statement of code.split(';').map((x) => x.trim()))
        if (statement !== '' && !/^export (?:type )?(?:\*|\{[^}]*\}) from '[^']+'$/.test(statement))
          bad.push(`${relative(ROOT, file)}: ${statement.split('\n')[0]}`);
    }
    assert.ok(seen >= 10, `found ${seen} index.ts files`);
    assert.deepEqual(bad, []);
  });

  it('sees the imports it checks', () => {
    // A parser that found nothing would pass the checks above vacuously.
    assert.ok(IMPORTS.some((i) => i.file === join('src', 'translate', 'index.ts') && i.spec.startsWith('./')));
    assert.ok(IMPORTS.some((i) => folderOf(join(ROOT, i.file)) === 'translate' && i.spec === '../model'));
  });
});
