import { readFileSync, statSync } from 'node:fs';
import { applyChanges, crds, EMPTY_WORLD, keyOf, type Change, type World } from '../model';
import { AddressAssigner } from './address-source';
import { DirectorySource } from './directory';
import { parseManifestFile } from './parse';
import type { SourceError } from './source';

/** One manifest file's text, named for error messages. */
export interface ManifestText {
  file: string;
  text: string;
}

/**
 * The documents of manifest texts, in order, each object once (a repeat is an
 * error naming the first). CRD documents among them check every document,
 * the ones before them included: when a text holds CRDs that change the
 * registry, all texts are parsed again.
 */
export function parseTexts(texts: readonly ManifestText[]): { changes: Change[]; errors: SourceError[] } {
  let parsed = texts.map((t) => ({ file: t.file, ...parseManifestFile(t.file, t.text) }));
  let changed = false;
  for (const p of parsed) if (p.crds && crds.replace(`file ${p.file}`, p.crds).changed.length > 0) changed = true;
  if (changed) parsed = texts.map((t) => ({ file: t.file, ...parseManifestFile(t.file, t.text) }));
  const changes: Change[] = [];
  const errors: SourceError[] = [];
  const seen = new Map<string, string>();
  for (const p of parsed) {
    errors.push(...p.errors);
    for (const d of p.docs) {
      const key = keyOf(d.object);
      const first = seen.get(key);
      if (first) {
        errors.push({
          source: 'file',
          file: p.file,
          line: d.line,
          kind: d.object.kind,
          namespace: d.object.metadata.namespace,
          name: d.object.metadata.name,
          message: `same object as ${first}; ignored`,
        });
        continue;
      }
      seen.set(key, `${p.file}:${d.line}`);
      changes.push({ op: 'upsert', object: d.object });
    }
  }
  return { changes, errors };
}

/**
 * Reads manifests once (files or directories) into a World: what the golden
 * tests and offline tools use.
 */
export async function loadManifests(paths: readonly string[]): Promise<{ world: World; errors: SourceError[] }> {
  const changes: Change[] = [];
  const errors: SourceError[] = [];
  const texts: ManifestText[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      const d = new DirectorySource(p);
      d.onChanges((c) => changes.push(...c));
      await d.start();
      await d.stop();
      errors.push(...d.errors());
      continue;
    }
    texts.push({ file: p, text: readFileSync(p, 'utf8') });
  }
  const files = parseTexts(texts);
  changes.push(...files.changes);
  errors.push(...files.errors);
  // As the directory mode serves them: ServiceEntries with their allocated addresses.
  return { world: applyChanges(EMPTY_WORLD, new AddressAssigner().apply(changes)).world, errors };
}
