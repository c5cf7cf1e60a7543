import { readFileSync, statSync } from 'node:fs';
import { applyChanges, crds, EMPTY_WORLD, keyOf, type Change, type World } from '../model';
import { DirectorySource } from './directory';
import { parseManifestFile } from './parse';
import type { SourceError } from './source';

/**
 * Reads manifests once (files or directories) into a World: what offline
 * commands (`translate`, `analyze`, `ztunnel-config -f`) and golden tests use.
 */
export async function loadManifests(paths: readonly string[]): Promise<{ world: World; errors: SourceError[] }> {
  const changes: Change[] = [];
  const errors: SourceError[] = [];
  const seen = new Map<string, string>();
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      const d = new DirectorySource(p);
      d.onChanges((c) => changes.push(...c));
      await d.start();
      await d.stop();
      errors.push(...d.errors());
      continue;
    }
    const text = readFileSync(p, 'utf8');
    let parsed = parseManifestFile(p, text);
    // CRDs check every document given, the ones before them included.
    if (parsed.crds && crds.replace(`file ${p}`, parsed.crds).changed.length > 0) {
      parsed = parseManifestFile(p, text);
      if (changes.length > 0 || errors.length > 0) return loadManifests(paths);
    }
    errors.push(...parsed.errors);
    for (const d of parsed.docs) {
      const key = keyOf(d.object);
      const first = seen.get(key);
      if (first) {
        errors.push({
          source: 'file',
          file: p,
          line: d.line,
          kind: d.object.kind,
          namespace: d.object.metadata.namespace,
          name: d.object.metadata.name,
          message: `same object as ${first}; ignored`,
        });
        continue;
      }
      seen.set(key, `${p}:${d.line}`);
      changes.push({ op: 'upsert', object: d.object });
    }
  }
  return { world: applyChanges(EMPTY_WORLD, changes).world, errors };
}
